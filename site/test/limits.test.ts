// The workspace keeps a copy of the agent's limits (the site imports the protocol as types only).
import { expect, it } from 'vitest';
import { maxFileBytes as agentMax } from '../../docker/agent/protocol.js';
import { maxFileBytes } from '../workspace/limits.js';

it('maxFileBytes matches docker/agent/protocol.ts', () => {
  expect(maxFileBytes).toBe(agentMax);
});
