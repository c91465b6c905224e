// Entry of the checker bundle (runtime/dist/checker.mjs): the `labs` CLI with its labs inside.
// The embedded labs are set up first: checkers/core/paths.ts reads LABS_DIR when it loads.
import './embedded-labs.js';
import { main } from '../../checkers/cli.js';

const code = await main(process.argv.slice(2));
// Exit explicitly (as bin/labs.mjs does): a misbehaving server must not keep us alive through a stray socket.
process.stdout.write('', () => process.exit(code));
