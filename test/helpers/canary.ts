// The canary secret value: tests store it as a secret and assert it never shows up in a log line,
// an error message, argv or a stray file. Unique enough that no other text contains it.
export const canaryValue = 'canary-7d3f1a9e-DO-NOT-LOG';
