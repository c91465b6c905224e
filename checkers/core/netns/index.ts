// The network-namespace toolkit for kernel-level labs: one namespace per check, faults as nft
// rules and a tbf qdisc, and socket observation the lab cannot fake. Checkers import from here.
export type { NetnsOptions, NetnsHandle, NetnsRef } from './types.js';
export {
  createNetns,
  destroyNetns,
  sweepStaleNamespaces,
  listOwnedNamespaces,
  netnsPids,
  procSysReadOnlyMount,
  NETNS_PREFIX,
  NETNS_RUN_DIR,
} from './namespace.js';
export {
  NetnsError,
  execInNetns,
  execInNetnsSync,
  spawnInNetns,
  reexecInNetns,
  runSync,
  which,
  type ExecOptions,
  type ExecResult,
  type ReexecOptions,
} from './exec.js';
export {
  applyNft,
  removeNft,
  flushNft,
  addBlackholePorts,
  removeBlackholePorts,
  nftCounters,
  renderNft,
  parseNftCounters,
  type NftFault,
  type LossFault,
  type BlackholeFault,
  type QuotaFault,
  type Direction,
  type AppliedNft,
  type NftCounters,
  type PacketCount,
} from './nft.js';
export { setBandwidth, clearBandwidth, qdiscStats, type TbfLimit, type QdiscStats } from './tc.js';
export {
  tcpSockets,
  tcpSocketsSync,
  tcpStates,
  tcpStatesSync,
  countTcpStates,
  parseProcNetTcp,
  listenQueues,
  parseSsListen,
  netCounters,
  parseNetstat,
  listenOverflows,
  TCP_STATES,
  type TcpState,
  type TcpSocket,
  type TcpStateCounts,
  type SocketFilter,
  type ListenQueue,
  type NetCounters,
} from './sockets.js';
export { kernelCapability, resetKernelCapability, capEff, LAB_IMAGE, type KernelCapability } from './capabilities.js';
