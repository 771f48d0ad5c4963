export { MODEL_PANELS } from './model';
export { PLATFORM_PANELS, PLATFORM_DASHBOARD_UID, PlatformDashboardInput, platformDashboardSpec, platformDashboardUid, renderPlatformDashboard } from './platform';
