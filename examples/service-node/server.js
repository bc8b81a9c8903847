// A payments service, as a team outside halab might write one, for halab's app slots (app1..3):
// Fastify, node-postgres (pg) with a pool per HAProxy port, ioredis through the Sentinels, and
// KafkaJS. The lab hands it its endpoints as HALAB_* variables (docs/your-service.md); the contract
// beside this file (service.yaml) tells the lab how to start, check and probe it.
'use strict';

const os = require('node:os');
const fastify = require('fastify');
const { Pool } = require('pg');
const Redis = require('ioredis');
const { Kafka, logLevel } = require('kafkajs');

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set: start this service with make up APP=...`);
  return value;
};
const replica = env('HALAB_REPLICA_NAME', os.hostname());
const hostPorts = (list) => list.split(',').map((hp) => {
  const [host, port] = hp.trim().split(':');
  return { host, port: Number(port) };
});

// Connect within 2 s, answer within 3 s: the lab's HTTP probe gives each request 1 s to connect
// and 3 s to answer, and a query that hangs on a dead primary must fail while it can be retried.
const pgConfig = (port) => ({
  host: env('HALAB_PG_HOST'), port: Number(port), database: env('HALAB_PG_DB'),
  user: env('HALAB_PG_USER'), password: env('HALAB_PG_PASSWORD'),
  max: 10, connectionTimeoutMillis: 2000, idleTimeoutMillis: 10000, query_timeout: 3000,
});
const primary = new Pool(pgConfig(env('HALAB_PG_WRITE_PORT')));
const replicas = new Pool(pgConfig(env('HALAB_PG_READ_PORT')));
// A pooled connection that dies while idle (HAProxy cuts it at a failover) emits 'error' on the
// pool; unhandled, that would end the process.
for (const pool of [primary, replicas]) pool.on('error', (e) => console.warn(`idle connection lost: ${e.message}`));

const redis = new Redis({
  sentinels: hostPorts(env('HALAB_SENTINELS')), name: env('HALAB_REDIS_MASTER_NAME'),
  connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: false,
  sentinelRetryStrategy: (times) => Math.min(times * 200, 1000),
  retryStrategy: (times) => Math.min(times * 100, 1000),
});
redis.on('error', (e) => console.warn(`redis: ${e.message}`));

const kafka = new Kafka({
  clientId: `payments-${replica}`, brokers: env('HALAB_KAFKA_BOOTSTRAP').split(','),
  connectionTimeout: 1000, requestTimeout: 2000, retry: { retries: 2, initialRetryTime: 100 },
  logLevel: logLevel.WARN,
});
const producer = kafka.producer({ allowAutoTopicCreation: false });
const topic = env('HALAB_KAFKA_TOPIC');
let producerReady = false;
producer.connect().then(() => { producerReady = true; }, (e) => console.warn(`kafka: ${e.message}`));

const SCHEMA = `CREATE TABLE IF NOT EXISTS payments (
  id bigserial PRIMARY KEY,
  reference text UNIQUE NOT NULL,
  payer text NOT NULL,
  amount_cents integer NOT NULL CHECK (amount_cents > 0),
  served_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;
const COLUMNS = 'id, reference, payer, amount_cents, served_by, created_at';
let schemaReady = false;

async function ensureSchema() {
  const client = await primary.connect();
  try {
    await client.query('BEGIN');
    // Three replicas start together; concurrent CREATE TABLE IF NOT EXISTS can still collide.
    await client.query('SELECT pg_advisory_xact_lock(4242)');
    await client.query(SCHEMA);
    await client.query('COMMIT');
    schemaReady = true;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Errors that mean "the connection or the server went away", worth one more try on a fresh one.
const transient = (e) => ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001', '25006']
  .includes(e.code) || /timeout|terminat|Connection/i.test(e.message);

// One retry, after 100-300 ms of jitter: the insert is idempotent (ON CONFLICT on the reference).
async function withRetry(fn) {
  try {
    return await fn();
  } catch (e) {
    if (!transient(e)) throw e;
    await sleep(100 + Math.random() * 200);
    return fn();
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

const app = fastify({ logger: false });
app.addHook('onSend', async (request, reply) => { reply.header('X-Served-By', replica); });

app.get('/health/live', async () => ({ status: 'ok', replica }));

app.get('/health/ready', async (request, reply) => {
  try {
    if (!schemaReady) await ensureSchema();
    await withTimeout(primary.query('SELECT 1'), 1000, 'postgres');
    await withTimeout(redis.ping(), 1000, 'redis');
    return { status: 'ready', replica };
  } catch (e) {
    return reply.code(503).send({ status: 'not ready', reason: e.message, replica });
  }
});

const paymentSchema = {
  body: {
    type: 'object', required: ['reference', 'payer', 'amount_cents'], additionalProperties: false,
    properties: {
      reference: { type: 'string', minLength: 1, maxLength: 200 },
      payer: { type: 'string', minLength: 1, maxLength: 200 },
      amount_cents: { type: 'integer', minimum: 1, maximum: 100000000 },
    },
  },
};

app.post('/payments', { schema: paymentSchema }, async (request, reply) => {
  const { reference, payer, amount_cents: amount } = request.body;
  const key = request.headers['idempotency-key'];
  if (key !== undefined && key !== reference) {
    return reply.code(422).send({ error: 'the Idempotency-Key must be the payment reference' });
  }
  let created = true;
  const payment = await withRetry(async () => {
    const inserted = await primary.query(
      `INSERT INTO payments (reference, payer, amount_cents, served_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (reference) DO NOTHING RETURNING ${COLUMNS}`, [reference, payer, amount, replica]);
    if (inserted.rows.length) return inserted.rows[0];
    created = false;  // a retry of a payment already made: the first one's answer
    return (await primary.query(`SELECT ${COLUMNS} FROM payments WHERE reference = $1`, [reference])).rows[0];
  });
  // Cache and event after the commit, best effort: the payment is made whatever they do.
  redis.set(`payment:${payment.id}`, JSON.stringify(payment), 'EX', 300).catch(() => {});
  if (created && producerReady) {
    await withTimeout(producer.send({ topic, acks: -1, messages: [{ key: String(payment.id), value: JSON.stringify(payment) }] }),
      2000, 'kafka').catch((e) => console.warn(`payment ${payment.id} not published: ${e.message}`));
  }
  return reply.code(created ? 201 : 200).send(payment);
});

app.get('/payments/:id', async (request, reply) => {
  const id = Number(request.params.id);
  if (!Number.isSafeInteger(id) || id < 1) return reply.code(404).send({ error: 'no such payment' });
  const cached = await redis.get(`payment:${id}`).catch(() => null);
  if (cached) return JSON.parse(cached);
  const select = (pool) => pool.query(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
  // A replica may lag behind or be down: then the primary answers.
  let rows = (await select(replicas).catch(() => ({ rows: [] }))).rows;
  if (!rows.length) rows = (await withRetry(() => select(primary))).rows;
  return rows.length ? rows[0] : reply.code(404).send({ error: 'no such payment' });
});

app.setErrorHandler((error, request, reply) => {
  if (error.validation) return reply.code(400).send({ error: error.message });
  console.warn(`${request.method} ${request.url}: ${error.message}`);
  return reply.code(503).send({ error: 'a dependency failed', reason: error.message });
});

async function main() {
  const port = Number(env('PORT', '3000'));
  await app.listen({ host: '0.0.0.0', port });
  console.log(`payments (${replica}) listening on ${port}`);
  ensureSchema().catch((e) => console.warn(`schema not ready yet: ${e.message}`));
  // SIGTERM (docker stop): finish what is in flight, then close the pools.
  process.once('SIGTERM', async () => {
    await app.close();
    await Promise.allSettled([primary.end(), replicas.end(), producer.disconnect(), redis.quit()]);
    process.exit(0);
  });
}

main().catch((e) => { console.error(e); process.exit(1); });
