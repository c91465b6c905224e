#!/usr/bin/env node
// `labs` entry point: loads the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../checkers/cli.ts');
const code = await main(process.argv.slice(2));
// Exit explicitly: a learner's misbehaving server must not keep us alive through a stray socket.
process.stdout.write('', () => process.exit(code));
