// The network-namespace toolkit, against the real kernel: every test creates its own namespace,
// sends traffic only on loopback inside it, and proves that nothing is left afterwards.
// Parsers are tested everywhere; kernel tests skip (with the reason) without root/CAP_NET_ADMIN.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  addBlackholePorts,
  applyNft,
  capEff,
  clearBandwidth,
  countTcpStates,
  createNetns,
  destroyNetns,
  execInNetnsSync,
  kernelCapability,
  listenOverflows,
  listenQueues,
  listOwnedNamespaces,
  netnsPids,
  nftCounters,
  parseNetstat,
  parseNftCounters,
  parseProcNetTcp,
  parseSsListen,
  procSysReadOnlyMount,
  qdiscStats,
  reexecInNetns,
  removeNft,
  renderNft,
  runSync,
  setBandwidth,
  sweepStaleNamespaces,
  tcpStates,
  type NetnsHandle,
} from '../core/netns/index.js';

const INDEX_TS = new URL('../core/netns/index.ts', import.meta.url).href;
const MAIN_DIR = new URL('../..', import.meta.url).pathname;

describe('netns parsers (no kernel needed)', () => {
  it('parses /proc/net/tcp and tcp6, and counts by state and port', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 4242 1 0',
      '   1: 0100007F:9C40 0100007F:1F90 06 00000000:00000000 03:00000ABC 00000000     0        0 0 3 0',
      '   2: 0100007F:1F90 0100007F:9C41 01 00000010:00000000 00:00000000 00000000     0        0 77 1 0',
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0',
    ].join('\n');
    const socks = parseProcNetTcp(text);
    expect(socks).toHaveLength(4);
    expect(socks[0]).toMatchObject({ state: 'LISTEN', localAddress: '127.0.0.1', localPort: 8080, rxQueue: 3, inode: 4242 });
    expect(socks[1]).toMatchObject({ state: 'TIME_WAIT', localPort: 40000, remotePort: 8080 });
    expect(socks[2]).toMatchObject({ state: 'ESTABLISHED', txQueue: 16 });
    expect(socks[3]).toMatchObject({ state: 'LISTEN', localAddress: '::1', localPort: 8081 });
    expect(countTcpStates(socks, { remotePort: 8080 })).toMatchObject({ TIME_WAIT: 1, total: 1 });
    expect(countTcpStates(socks, { localPort: 8080 })).toMatchObject({ LISTEN: 1, ESTABLISHED: 1, TIME_WAIT: 0, total: 2 });
  });

  it('parses netstat/snmp counters and ss listeners', () => {
    const c = parseNetstat('TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 338 340\nTcp: RtoAlgorithm ActiveOpens\nTcp: 1 5000\n');
    expect(c.TcpExt).toEqual({ SyncookiesSent: 0, ListenOverflows: 338, ListenDrops: 340 });
    expect(c.Tcp.ActiveOpens).toBe(5000);
    expect(parseSsListen('LISTEN 3      2            127.0.0.1:8080       0.0.0.0:*\nLISTEN 0 4096 [::1]:9090 [::]:*\n')).toEqual([
      { address: '127.0.0.1', port: 8080, recvQ: 3, sendQ: 2 },
      { address: '::1', port: 9090, recvQ: 0, sendQ: 4096 },
    ]);
  });

  it('detects a read-only /proc/sys and reads capability bits', () => {
    const rw = '22 1 0:5 / /proc rw,nosuid - proc proc rw\n';
    const ro = rw + '40 22 0:5 /sys /proc/sys ro,nosuid - proc proc rw\n';
    expect(procSysReadOnlyMount(rw)).toBeNull();
    expect(procSysReadOnlyMount(ro)).toBe('/proc/sys');
    expect(procSysReadOnlyMount(ro + '41 22 0:5 /sys /proc/sys rw,nosuid - proc proc rw\n')).toBeNull();
    expect(capEff('CapEff:\t0000000000201000\n')).toBe((1n << 12n) | (1n << 21n));
  });

  it('renders faults as nft scripts and reads their counters', () => {
    const loss = renderNft({ id: 'fabc', netns: 'x', chain: 'c_fabc', fault: { kind: 'loss', port: 8080, every: 10 } }, 3);
    expect(loss).toContain('add chain inet ghl c_fabc { type filter hook output priority 3; policy accept; }');
    expect(loss).toContain('tcp dport 8080 counter numgen inc mod 10 0 counter drop comment "ghl fabc loss dport"');
    expect(loss).not.toContain('random');
    expect(() => renderNft({ id: 'f', netns: 'x', chain: 'c', fault: { kind: 'loss', port: 1, every: 10, offset: 10 } })).toThrow(/offset/);
    const json = JSON.stringify({
      nftables: [
        { rule: { comment: 'ghl fabc quota sport', expr: [{ counter: { packets: 10, bytes: 9000 } }, { quota: { val: 2, val_unit: 'kbytes', used: 9, used_unit: 'kbytes', inv: true } }, { counter: { packets: 4, bytes: 6000 } }, { drop: null }] } },
      ],
    });
    expect(parseNftCounters(json).fabc).toMatchObject({ kind: 'quota', matched: { packets: 10 }, dropped: { packets: 4 }, quotaUsedBytes: 9216 });
  });
});

const cap = kernelCapability('netns-selftest');
if (!cap.ok) console.warn(`netns kernel tests ${cap.reason}; run them with: ${cap.command}`);

describe.skipIf(!cap.ok)('netns toolkit on the real kernel', () => {
  const created: NetnsHandle[] = [];
  const procs: ChildProcess[] = [];
  function ns(opts: Parameters<typeof createNetns>[0] = {}): NetnsHandle {
    const h = createNetns(opts);
    created.push(h);
    return h;
  }

  afterEach(() => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const h of created.splice(0)) destroyNetns(h);
  });

  afterAll(() => {
    sweepStaleNamespaces();
    const mine = listOwnedNamespaces().filter((n) => n.startsWith(`ghl-${process.pid}-`));
    expect(mine).toEqual([]);
  });

  /** A Node process inside the namespace running `code` (CommonJS), with line-based stdout. */
  function nodeIn(h: NetnsHandle, code: string) {
    const child = reexecInNetns(h, ['-e', code], { execArgv: [] });
    procs.push(child);
    let out = '';
    let err = '';
    const waiters: (() => void)[] = [];
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      waiters.splice(0).forEach((w) => w());
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return {
      child,
      /** resolves with the first match of `re` in stdout */
      waitFor(re: RegExp, ms = 5000): Promise<RegExpMatchArray> {
        return new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} (stdout: ${out}, stderr: ${err})`)), ms);
          const check = () => {
            const m = out.match(re);
            if (m) {
              clearTimeout(t);
              resolve(m);
            } else waiters.push(check);
          };
          check();
        });
      },
      send(s: string) {
        child.stdin!.write(s);
      },
      async exit(ms = 5000): Promise<{ code: number | null; out: string; err: string }> {
        let t!: NodeJS.Timeout;
        const code = await Promise.race([exited, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`no exit in ${ms} ms: ${err}`)), ms)))]);
        clearTimeout(t);
        return { code, out, err };
      },
    };
  }

  async function server(h: NetnsHandle, code: string): Promise<number> {
    const s = nodeIn(h, `const net=require('net');${code};s.on('listening',()=>console.log('PORT '+s.address().port));`);
    return Number((await s.waitFor(/PORT (\d+)/))[1]);
  }

  const ECHO = `const s=net.createServer(c=>{c.on('data',d=>c.write(d));c.on('end',()=>c.end());c.on('error',()=>{})}).listen(0,'127.0.0.1')`;

  it('creates a namespace with only lo up and the sysctls in force; measures create+destroy', () => {
    const hostRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const sysctls = {
      'net.ipv4.ip_local_port_range': '40000 40199',
      'net.core.somaxconn': '64',
      'net.ipv4.tcp_fin_timeout': '5',
      'net.ipv4.tcp_tw_reuse': '0',
      'net.ipv4.tcp_rmem': '4096 65536 1048576',
    };
    const h = ns({ sysctls, loMtu: 1500 });
    expect(h.name).toMatch(new RegExp(`^ghl-${process.pid}-[0-9a-f]+$`));
    expect(h.sysctls).toEqual(sysctls);

    const links = JSON.parse(runSync(['ip', '-n', h.name, '-j', 'link', 'show']).stdout) as { ifname: string; flags: string[]; mtu: number }[];
    const up = links.filter((l) => l.flags.includes('UP')).map((l) => l.ifname);
    expect(up).toEqual(['lo']);
    expect(links.find((l) => l.ifname === 'lo')!.mtu).toBe(1500);

    // read back from inside, independently of createNetns
    for (const [k, v] of Object.entries(sysctls)) {
      const got = execInNetnsSync(h, ['cat', `/proc/sys/${k.replace(/\./g, '/')}`]).stdout.trim().split(/\s+/).join(' ');
      expect(got, k).toBe(v);
    }
    expect(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).toBe(hostRange);
    expect(runSync(['ip', 'netns', 'list']).stdout).toContain(h.name);

    expect(() => createNetns({ sysctls: { 'kernel.pid_max': '4194304' } })).toThrow(/not a net\.\* key/);
    expect(() => createNetns({ sysctls: { 'net.core.somaxconn': 'lots' } })).toThrow(/somaxconn/);

    const times = (opts: Parameters<typeof createNetns>[0]) =>
      Array.from({ length: 10 }, () => {
        const t0 = performance.now();
        destroyNetns(createNetns(opts));
        return performance.now() - t0;
      }).sort((a, b) => a - b);
    const bare = times({});
    const full = times({ sysctls, loMtu: 1500 });
    console.log(
      `create+destroy ms: bare median ${bare[5].toFixed(1)} (min ${bare[0].toFixed(1)}, max ${bare[9].toFixed(1)}); ` +
        `with 5 sysctls + MTU median ${full[5].toFixed(1)} (min ${full[0].toFixed(1)}, max ${full[9].toFixed(1)})`,
    );
    expect(listOwnedNamespaces().filter((n) => n.startsWith(`ghl-${process.pid}-`))).toEqual([h.name]);
  }, 20_000);

  it('runs a TCP listener inside; clients inside reach it; ss shows the somaxconn-bounded backlog', async () => {
    const h = ns({ sysctls: { 'net.core.somaxconn': '64' } });
    const port = await server(h, ECHO);
    const client = nodeIn(
      h,
      `const net=require('net');let ok=0;for(let i=0;i<20;i++){const c=net.connect(${port},'127.0.0.1',()=>c.write('hi'));` +
        `c.on('data',()=>{if(++ok===20)done();c.end()});c.on('error',e=>console.log('ERR '+e.code))}` +
        `function done(){console.log('OK '+ok);process.exit(0)}setTimeout(done,3000);`,
    );
    await client.waitFor(/OK (\d+)/, 4000).then((m) => expect(Number(m[1])).toBe(20));
    const q = await listenQueues(h, port);
    expect(q).toEqual([{ address: '127.0.0.1', port, recvQ: 0, sendQ: 64 }]); // Node asks 511, somaxconn caps
    // the host's loopback is a different stack: nothing listens on that port here (almost surely)
    const hostSees = (await tcpStatesHost()).filter((s) => s.localPort === port && s.state === 'LISTEN');
    expect(hostSees).toEqual([]);
  }, 10_000);

  it('loses exactly one in N packets with numgen, and the counters prove it', async () => {
    const h = ns();
    const port = await server(h, ECHO);
    const fault = applyNft(h, { kind: 'loss', port, every: 10, offset: 1 });
    const N = 60;
    const client = nodeIn(
      h,
      `const net=require('net');const c=net.connect(${port},'127.0.0.1');let n=0;` +
        `c.on('connect',()=>c.write('x'));c.on('data',d=>{n+=d.length;if(n>=${N}){console.log('DONE '+n);c.end()}else c.write('x')});`,
    );
    await client.waitFor(/DONE (\d+)/, 12_000);
    await new Promise((r) => setTimeout(r, 300)); // let the closing handshake settle
    const c = nftCounters(h)[fault.id];
    const expected = Math.floor((c.matched.packets - 1 + 10 - 1) / 10);
    console.log(`loss 1/10: ${c.matched.packets} packets to the port, ${c.dropped.packets} dropped`);
    expect(c.matched.packets).toBeGreaterThanOrEqual(N);
    expect(c.dropped.packets).toBe(expected);
    expect(c.dropped.packets).toBeGreaterThanOrEqual(6);
    removeNft(fault);
    removeNft(fault); // idempotent
    expect(nftCounters(h)[fault.id]).toBeUndefined();
  }, 20_000);

  it('blackholes a vanished peer both ways, leaving other connections alone', async () => {
    const h = ns();
    const port = await server(
      h,
      `const s=net.createServer(c=>{const t=setInterval(()=>c.write('hb'),50);c.on('data',d=>c.write(d));` +
        `c.on('close',()=>clearInterval(t));c.on('error',()=>{})}).listen(0,'127.0.0.1')`,
    );
    const fault = applyNft(h, { kind: 'blackhole' });
    const client = nodeIn(
      h,
      `const net=require('net');const c=net.connect(${port},'127.0.0.1');let before=0,after=0,phase=0;c.on('error',()=>{});` +
        `c.on('connect',()=>console.log('LOCAL '+c.localPort));c.on('data',d=>{if(phase)after+=d.length;else before+=d.length});` +
        `process.stdin.once('data',()=>setTimeout(()=>{phase=1;c.write('ping');` +
        `const c2=net.connect(${port},'127.0.0.1',()=>c2.write('zz'));let other='';c2.on('data',d=>other+=d);` +
        `setTimeout(()=>{console.log('RESULT '+JSON.stringify({before,after,other:other.includes('zz')}));process.exit(0)},1000)},150));`,
    );
    const local = Number((await client.waitFor(/LOCAL (\d+)/))[1]);
    await new Promise((r) => setTimeout(r, 200)); // some heartbeats get through first
    addBlackholePorts(fault, [local]);
    client.send('go\n');
    const res = JSON.parse((await client.waitFor(/RESULT (.*)/, 5000))[1]);
    expect(res.before).toBeGreaterThan(0);
    expect(res.after).toBe(0);
    expect(res.other).toBe(true);
    const c = nftCounters(h)[fault.id];
    console.log(`blackhole: dropped ${c.byDirection.sport!.dropped.packets} from the client, ${c.byDirection.dport!.dropped.packets} to it`);
    expect(c.byDirection.sport!.dropped.packets).toBeGreaterThan(0); // the client's ping
    expect(c.byDirection.dport!.dropped.packets).toBeGreaterThan(0); // the server's heartbeats
  }, 15_000);

  it('counts ESTABLISHED, then TIME_WAIT on the side that closed first', async () => {
    const h = ns({ sysctls: { 'net.ipv4.tcp_fin_timeout': '5' } });
    const port = await server(h, ECHO);
    const client = nodeIn(
      h,
      `const net=require('net');const cs=[];let open=0;for(let i=0;i<3;i++){const c=net.connect(${port},'127.0.0.1',()=>{if(++open===3)console.log('OPEN')});cs.push(c)}` +
        `process.stdin.once('data',()=>{let left=3;for(const c of cs){c.on('close',()=>{if(--left===0){console.log('CLOSED');process.exit(0)}});c.end()}});`,
    );
    await client.waitFor(/OPEN/);
    await new Promise((r) => setTimeout(r, 100)); // the server's side of the handshake
    expect(await tcpStates(h, { remotePort: port })).toMatchObject({ ESTABLISHED: 3, total: 3 });
    expect(await tcpStates(h, { localPort: port })).toMatchObject({ ESTABLISHED: 3, LISTEN: 1, total: 4 });
    client.send('close\n');
    await client.waitFor(/CLOSED/);
    await new Promise((r) => setTimeout(r, 100));
    expect(await tcpStates(h, { remotePort: port })).toMatchObject({ TIME_WAIT: 3, total: 3 });
    expect(await tcpStates(h, { localPort: port })).toMatchObject({ TIME_WAIT: 0, LISTEN: 1, total: 1 });
  }, 10_000);

  it('sees a full accept queue and ListenOverflows when the server stops accepting', async () => {
    const h = ns();
    const port = await server(
      h,
      `const s=net.createServer(()=>{}).listen({port:0,host:'127.0.0.1',backlog:2});` +
        `s.on('listening',()=>setImmediate(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,5000)))`,
    );
    const client = nodeIn(
      h,
      `const net=require('net');let ok=0;for(let i=0;i<8;i++){const c=net.connect(${port},'127.0.0.1');c.on('connect',()=>ok++);c.on('error',()=>{})}` +
        `setTimeout(()=>console.log('OK '+ok),600);`,
    );
    const ok = Number((await client.waitFor(/OK (\d+)/))[1]);
    const [q] = await listenQueues(h, port);
    const o = await listenOverflows(h);
    console.log(`accept queue: ${ok}/8 client connects, Recv-Q ${q.recvQ} Send-Q ${q.sendQ}, ListenOverflows ${o.listenOverflows}, ListenDrops ${o.listenDrops}`);
    expect(q.sendQ).toBe(2);
    expect(q.recvQ).toBe(3); // the kernel admits backlog + 1
    expect(o.listenOverflows).toBeGreaterThan(0);
  }, 10_000);

  it('installs tbf on lo (throttling every transfer) and removes it', async () => {
    const big = ns(); // default lo MTU 65536: tbf would drop silently, so it refuses
    expect(() => setBandwidth(big, { kind: 'tbf', rateBitsPerSecond: 2e6, burstBytes: 16384, latencyMs: 200 })).toThrow(/MTU/);

    const h = ns({ loMtu: 1500 });
    const port = await server(h, `const s=net.createServer(c=>{c.on('error',()=>{});c.end(Buffer.alloc(262144,120))}).listen(0,'127.0.0.1')`);
    const fetch256k = async () => {
      const c = nodeIn(
        h,
        `const net=require('net');const t0=Date.now();let n=0;const c=net.connect(${port},'127.0.0.1');` +
          `c.on('data',d=>n+=d.length);c.on('end',()=>{console.log('GOT '+n+' '+(Date.now()-t0));process.exit(0)});`,
      );
      const m = await c.waitFor(/GOT (\d+) (\d+)/, 10_000);
      expect(Number(m[1])).toBe(262144);
      return Number(m[2]);
    };
    const free = await fetch256k();
    setBandwidth(h, { kind: 'tbf', rateBitsPerSecond: 2_000_000, burstBytes: 16384, latencyMs: 200 });
    expect(qdiscStats(h)).toMatchObject({ kind: 'tbf', rateBytesPerSecond: 250_000 });
    const limited = await fetch256k();
    const stats = qdiscStats(h);
    clearBandwidth(h);
    clearBandwidth(h); // idempotent
    expect(qdiscStats(h).kind).toBe('noqueue');
    const freeAgain = await fetch256k();
    console.log(`256 KiB over lo: ${free} ms free, ${limited} ms at 2 Mbit/s (overlimits ${stats.overlimits}, drops ${stats.drops}), ${freeAgain} ms after removal`);
    expect(limited).toBeGreaterThan(700); // ~1 s expected at 250 kB/s
    expect(free).toBeLessThan(limited / 5);
    expect(freeAgain).toBeLessThan(limited / 5);
    expect(stats.overlimits).toBeGreaterThan(0);
  }, 20_000);

  it('leaves nothing after destroy: processes inside are killed, the name is gone', async () => {
    const h = createNetns();
    created.push(h); // destroyed below; afterEach's second destroy is a no-op
    const s = nodeIn(h, `require('net').createServer().listen(0,'127.0.0.1',()=>console.log('UP'))`);
    await s.waitFor(/UP/);
    expect(netnsPids(h)).toContain(s.child.pid);
    destroyNetns(h);
    destroyNetns(h); // idempotent
    await s.exit(3000);
    expect(s.child.signalCode).toBe('SIGKILL');
    expect(runSync(['ip', 'netns', 'list']).stdout).not.toContain(h.name);
  }, 10_000);

  /** A separate Node process that creates a namespace (with a `sleep` inside) and then waits. */
  async function creatorProcess() {
    const code =
      `const m=await import(${JSON.stringify(INDEX_TS)});const h=m.createNetns({});` +
      `const p=m.spawnInNetns(h,['sleep','30']);` +
      // Report only once the inner process has really entered the namespace (ip netns exec may still be starting).
      `for(let i=0;i<200&&!m.netnsPids(h).includes(p.pid);i++)await new Promise(r=>setTimeout(r,25));` +
      `console.log('NS '+JSON.stringify({name:h.name,inner:p.pid}));setInterval(()=>{},1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: MAIN_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const info = await new Promise<{ name: string; inner: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`creator did not start: ${err}`)), 10_000);
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /NS (.*)\n/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(JSON.parse(m[1]));
        }
      });
    });
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.on('exit', () => r())));
    return { child, info, exited };
  }

  function gone(pid: number): boolean {
    try {
      return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); // a zombie is dead
    } catch {
      return true;
    }
  }

  it('leaves nothing when the creating process gets SIGINT', async () => {
    const { child, info, exited } = await creatorProcess();
    expect(runSync(['ip', 'netns', 'list']).stdout).toContain(info.name);
    child.kill('SIGINT');
    await exited;
    expect(child.exitCode).toBe(130);
    expect(runSync(['ip', 'netns', 'list']).stdout).not.toContain(info.name);
    await new Promise((r) => setTimeout(r, 100));
    expect(gone(info.inner)).toBe(true);
  }, 20_000);

  it('leaves nothing when the creating process gets SIGKILL, once swept', async () => {
    const { child, info, exited } = await creatorProcess();
    child.kill('SIGKILL');
    await exited;
    expect(runSync(['ip', 'netns', 'list']).stdout).toContain(info.name); // SIGKILL: no cleanup ran
    expect(netnsPids(info.name)).toContain(info.inner);
    expect(sweepStaleNamespaces()).toContain(info.name);
    expect(runSync(['ip', 'netns', 'list']).stdout).not.toContain(info.name);
    await new Promise((r) => setTimeout(r, 100));
    expect(gone(info.inner)).toBe(true);
    expect(sweepStaleNamespaces()).not.toContain(info.name);
  }, 20_000);
});

/** The host namespace's TCP sockets (for "the namespace is a different stack"). */
async function tcpStatesHost() {
  return parseProcNetTcp(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } }).join('\n'));
}
