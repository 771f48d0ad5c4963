// The SLO burn-rate alerts have their `promtool test rules` cases (fires at the documented budget
// consumption, silent when healthy) in test/monitoring/slo.test.ts; the fresh-install run of
// test/monitoring/alerts.promtool.test.ts covers them too.
export const ALERTS_TESTED_ELSEWHERE: Record<string, string> = {
  ModelAvailabilityBurnRatePage: 'test/monitoring/slo.test.ts',
  ModelAvailabilityBurnRateTicket: 'test/monitoring/slo.test.ts',
  ModelLatencyBurnRatePage: 'test/monitoring/slo.test.ts',
  ModelLatencyBurnRateTicket: 'test/monitoring/slo.test.ts',
};
