#!/usr/bin/env node
'use strict';
// ml-drift: the drift checker (the bundle the DriftCronJob runs), as installed by npm.
// `ml-drift --help` lists the commands and exit codes.
const { main } = require('../bundles/ml-drift.js');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
