// "My simulations": the ids this browser submitted, and the ones picked for a
// comparison, kept in localStorage (nothing about them is sent anywhere).
// When storage is unavailable (private mode, disabled cookies) the lists live
// in memory for the life of the page.

const SIMULATIONS_KEY = 'outbreak.simulations';
const COMPARE_KEY = 'outbreak.compare';
const memory = new Map();

function read(key) {
  let text = null;
  try {
    text = window.localStorage.getItem(key);
  } catch {
    text = memory.get(key) ?? null;
  }
  if (!text) return [];
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

function write(key, value) {
  const text = JSON.stringify(value);
  try {
    window.localStorage.setItem(key, text);
  } catch {
    memory.set(key, text);
  }
}

// [{id, name, created_at}], newest first.
export function savedSimulations() {
  return read(SIMULATIONS_KEY).filter((entry) => entry && typeof entry.id === 'string');
}

export function rememberSimulation(entry) {
  const list = savedSimulations().filter((other) => other.id !== entry.id);
  list.unshift({ id: entry.id, name: entry.name || 'simulation', created_at: entry.created_at || new Date().toISOString() });
  write(SIMULATIONS_KEY, list);
}

export function forgetSimulation(id) {
  write(SIMULATIONS_KEY, savedSimulations().filter((entry) => entry.id !== id));
  setCompared(id, false);
}

// Ids picked for /compare, in the order they were picked.
export function comparedIds() {
  return read(COMPARE_KEY).filter((id) => typeof id === 'string');
}

export function setCompared(id, on) {
  const ids = comparedIds().filter((other) => other !== id);
  if (on) ids.push(id);
  write(COMPARE_KEY, ids);
}

export function compareHref(ids) {
  return `/compare?ids=${ids.map(encodeURIComponent).join(',')}`;
}
