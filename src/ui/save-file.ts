// Hands bytes to the browser's download (a credential, a binary secret) without a server round trip.
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; the object URL must not keep the bytes alive longer.
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
