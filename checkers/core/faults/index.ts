export { FaultProxy, type FaultProxyOptions, type ProxyStats } from './proxy.js';
export { describeToxic, seededRandom, type Direction, type Toxic } from './toxics.js';
