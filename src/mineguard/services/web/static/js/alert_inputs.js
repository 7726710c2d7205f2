// What an alert's evidence says about the readings behind it: the rule engine writes each input's
// source as ``reading:<device>#<seq>`` (``evidence.inputs``: a list for a threshold rule, a map
// signal -> source for a combined rule); camera events and the twin are ``event:`` / ``twin:``.

const READING = /^reading:(.+)#(\d+)$/;

/** The sensors whose readings an alert cites, each once, in the evidence's order. */
export function citedDevices(alert) {
  const inputs = alert.evidence?.inputs ?? [];
  const sources = Array.isArray(inputs) ? inputs : Object.values(inputs);
  const devices = sources.map((source) => READING.exec(String(source))?.[1]).filter(Boolean);
  return [...new Set(devices)];
}

/** The inputs as [signal, source] pairs (a threshold rule's list: its one sensor, named "value"). */
export function inputPairs(alert) {
  const inputs = alert.evidence?.inputs ?? [];
  return Array.isArray(inputs) ? inputs.map((source) => ["value", source]) : Object.entries(inputs);
}
