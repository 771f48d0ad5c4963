#!/usr/bin/env node
'use strict';
// ml-cost: the monthly cost estimate of synthesized manifests, as installed by npm.
// `ml-cost --help` lists the options and exit codes.
const { main } = require('../lib/src/cli/cost.js');

process.exitCode = main(process.argv.slice(2));
