// Node clients with the service's env (NODE_PATH points at the harness's
// pinned npm install).
//   probe.cjs kv VAR       ioredis: a key written and read
//   probe.cjs sql VAR ROLE pg: SELECT 1 as ROLE
//   probe.cjs send QUEUE   bullmq: a job added with REDIS_URL
//   probe.cjs work QUEUE   bullmq: a Worker on REDIS_URL runs one job
const IORedis = require("ioredis");
const version = (name) => require(name + "/package.json").version;
const [mode, arg, role] = process.argv.slice(2);

function redis() {
  return new IORedis(process.env.REDIS_URL, { maxRetriesPerRequest: null, connectTimeout: 5000 });
}

async function main() {
  if (mode === "kv") {
    const client = new IORedis(process.env[arg], { connectTimeout: 5000, maxRetriesPerRequest: 1 });
    const key = "e2e:" + Math.random().toString(36).slice(2);
    await client.set(key, "v1", "EX", 60);
    const got = await client.get(key);
    await client.quit();
    if (got !== "v1") throw new Error("read back " + got);
    return `OK ioredis ${version("ioredis")} set/get`;
  }
  if (mode === "sql") {
    const { Client } = require("pg");
    const client = new Client({ connectionString: process.env[arg], connectionTimeoutMillis: 5000 });
    await client.connect();
    const res = await client.query("SELECT current_user AS u, 1 AS one");
    await client.end();
    const row = res.rows[0];
    if (row.one !== 1 || row.u !== role) throw new Error(`connected as ${row.u}, not ${role}`);
    return `OK pg ${version("pg")} SELECT 1 as ${role}`;
  }
  const { Queue, Worker } = require("bullmq");
  if (mode === "send") {
    const connection = redis();
    const queue = new Queue(arg, { connection });
    await queue.add("ping", { x: 41 });
    await queue.close();
    await connection.quit();
    return `OK bullmq ${version("bullmq")} job added`;
  }
  if (mode === "work") {
    const connection = redis();
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const worker = new Worker(arg, async (job) => job.data.x + 1, { connection });
    worker.on("completed", (job, result) => done(result));
    const timer = setTimeout(() => done("timeout"), 20000);
    const result = await finished;
    clearTimeout(timer);
    await worker.close();
    await connection.quit();
    if (result !== 42) throw new Error("the worker's job gave " + result);
    return `OK bullmq ${version("bullmq")} job added by web, run by worker`;
  }
  throw new Error("mode " + mode);
}

main().then(
  (line) => { console.log(line); process.exit(0); },
  (err) => { console.log("ERR " + (err && err.message ? err.message : err)); process.exit(1); },
);
