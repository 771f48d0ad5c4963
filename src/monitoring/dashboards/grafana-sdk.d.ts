// The SDK publishes its builders only under package.json `exports` subpaths
// (`@grafana/grafana-foundation-sdk/dashboard`, ...), which this project's
// `moduleResolution: node` does not read; Node resolves them at run time. These
// declarations point the compiler at the same files. No exported signature of the
// library uses an SDK type, so consumers never need them.
declare module '@grafana/grafana-foundation-sdk/dashboard' {
  export * from '@grafana/grafana-foundation-sdk/dist/dashboard';
}
declare module '@grafana/grafana-foundation-sdk/prometheus' {
  export * from '@grafana/grafana-foundation-sdk/dist/prometheus';
}
declare module '@grafana/grafana-foundation-sdk/stat' {
  export * from '@grafana/grafana-foundation-sdk/dist/stat';
}
declare module '@grafana/grafana-foundation-sdk/timeseries' {
  export * from '@grafana/grafana-foundation-sdk/dist/timeseries';
}
