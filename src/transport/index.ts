/**
 * The transport layer's pieces: the contract, the adapters, the simulator.
 * (Endpoints, the clock and the seeded PRNG are on the ground floor: src/ground.)
 */
export type { DatagramHandler, Transport, TransportOptions } from './types.ts';
export type { UdpTransportOptions } from './address.ts';
export { createUdpTransport, udpRuntime, type UdpRuntime } from './detect.ts';
export { DenoUdpTransport } from './deno-udp.ts';
// Type only: a value export would load node:dgram on Deno too; construct it
// via createUdpTransport, or import node-udp.ts directly.
export type { NodeUdpTransport } from './node-udp.ts';
export { VirtualClock } from './virtual-clock.ts';
export {
  SimulatedNetwork,
  type LatencyRange,
  type LinkConditions,
  type NetworkStats,
  type RunOptions,
  type RunUntilOptions,
  type SimulatedNetworkOptions,
  type SimulatedTransport,
  type TransportPlacement,
} from './memory.ts';
