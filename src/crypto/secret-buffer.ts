// Buffers for secrets (values, keys) that stay where they were made. V8 keeps a typed array of up
// to 64 bytes inside the JS heap, and its garbage collector moves such objects, leaving the old
// bytes behind where no fill(0) reaches them; a 48-byte value or a 32-byte key was found that way in
// a core dump after seal (issue 12.3). An ArrayBuffer's memory is always outside the heap and never
// moves, so zeroing the Buffer zeroes the only copy.

// A zero-filled Buffer of `size` bytes outside the JS heap.
export function allocSecretBuffer(size: number): Buffer {
  return Buffer.from(new ArrayBuffer(size));
}

// A copy of `bytes` outside the JS heap.
export function copySecretBuffer(bytes: Uint8Array): Buffer {
  const copy = allocSecretBuffer(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
