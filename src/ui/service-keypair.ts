// A service account's RSA keypair, made in the browser (WebCrypto): the private key never travels
// to the store; it goes into the credential JSON the operator downloads once.

export interface GeneratedKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

// RSA-2048 for RS256, as the CLI's `iam service-account create --credential-out` makes.
export async function generateServiceKeyPair(): Promise<GeneratedKeyPair> {
  if (globalThis.crypto?.subtle === undefined)
    throw new Error(
      'This page is not a secure context (use HTTPS or localhost): the browser offers no WebCrypto to make a key.',
    );
  const pair = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
  const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', pair.privateKey);
  return { publicKeyPem: toPem(spki, 'PUBLIC KEY'), privateKeyPem: toPem(pkcs8, 'PRIVATE KEY') };
}

function toPem(der: ArrayBuffer, label: string): string {
  let binary = '';
  for (const byte of new Uint8Array(der)) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
