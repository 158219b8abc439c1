// kill -9 durability of the file backend (issue 12, "Must show"): a real `store serve` child, clients
// doing acknowledged creates and updates concurrently, SIGKILL at a random moment, restart on the
// same data directory, then every acknowledged write must be there and readable. Seeded and bounded.
import { afterAll, expect, it } from 'vitest';
import { rawRequest } from '../support/store-server.js';
import { startStoreChild, type StoreChild } from '../support/store-child.js';

const cycles = 8;
const lanes = 4;
const secrets = '/secrets/v1/secret/default';
let current: StoreChild | undefined;

afterAll(async () => {
  if (current?.alive() === true) await current.stop();
});

// A small seeded generator (mulberry32), so a failing run can be replayed with its seed.
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('every acknowledged create and update survives SIGKILL at random moments (8 cycles)', async () => {
  const seed = Number(process.env['KILL_DURABILITY_SEED'] ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const created = new Map<string, string>();
  // Per updated key: the last acknowledged value, and every value sent since (one may have landed unacknowledged).
  const updated = new Map<string, { acked: number; sentSince: Set<number> }>();
  let store = await startStoreChild();
  current = store;
  const headers = { authorization: `token=${store.token}`, 'content-type': 'application/json' };
  for (let lane = 0; lane < lanes; lane += 1) {
    const put = await rawRequest(store.url, {
      method: 'PUT',
      path: `${secrets}/durable/updated-${lane}`,
      headers,
      body: JSON.stringify({ value: '0' }),
    });
    expect(put.status).toBe(201);
    updated.set(`durable/updated-${lane}`, { acked: 0, sentSince: new Set() });
  }
  let acknowledged = 0;
  try {
    for (let cycle = 0; cycle < cycles; cycle += 1) {
      const url = store.url;
      let killed = false;
      const writer = async (lane: number): Promise<void> => {
        const key = `durable/updated-${lane}`;
        const state = updated.get(key) as { acked: number; sentSince: Set<number> };
        for (let index = 0; !killed; index += 1) {
          try {
            if (index % 2 === 0) {
              const path = `durable/c${cycle}/l${lane}/n${index}`;
              const value = `v-${seed}-${cycle}-${lane}-${index}`;
              const answer = await rawRequest(url, {
                method: 'PUT',
                path: `${secrets}/${path}`,
                headers,
                body: JSON.stringify({ value }),
              });
              if (answer.status === 201) {
                created.set(path, value);
                acknowledged += 1;
              }
            } else {
              const next = state.acked + state.sentSince.size + 1;
              state.sentSince.add(next);
              const answer = await rawRequest(url, {
                method: 'PATCH',
                path: `${secrets}/${key}`,
                headers,
                body: JSON.stringify({ value: String(next) }),
              });
              if (answer.status === 204) {
                state.acked = next;
                state.sentSince.clear();
                acknowledged += 1;
              }
            }
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const writers = Array.from({ length: lanes }, (_, lane) => writer(lane));
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(random() * 600)));
      store.child.kill('SIGKILL');
      killed = true;
      expect(await store.exited).toBe('SIGKILL');
      await Promise.all(writers);
      store = await startStoreChild({ dataDir: store.dataDir });
      current = store;
      for (const [path, value] of created) {
        const read = await rawRequest(store.url, { path: `${secrets}/${path}`, headers });
        expect(read.status, `seed ${seed} cycle ${cycle}: ${path} lost`).toBe(200);
        expect((read.json as { value: string }).value, `seed ${seed}: ${path}`).toBe(value);
      }
      for (const [key, state] of updated) {
        const read = await rawRequest(store.url, { path: `${secrets}/${key}`, headers });
        const value = Number((read.json as { value: string }).value);
        const allowed = [state.acked, ...state.sentSince];
        expect(allowed, `seed ${seed} cycle ${cycle}: ${key} = ${value}`).toContain(value);
        // What the store holds is now the acknowledged base for the next cycle.
        state.acked = value;
        state.sentSince.clear();
      }
    }
  } finally {
    await store.stop();
  }
  expect(acknowledged).toBeGreaterThan(cycles * lanes);
  console.log(
    `kill-durability seed ${seed}: ${cycles} cycles, ${acknowledged} acknowledged writes (${created.size} creates), lost 0`,
  );
}, 180_000);
