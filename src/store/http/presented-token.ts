// Extracts the token a client presented: `Authorization: token=<t>` (DC/OS canonical),
// `Authorization: Bearer <t>`, or the `dcos-acs-auth-cookie` cookie when no header is sent.
export function readPresentedToken(headers: {
  authorization?: string | undefined;
  cookie?: string | undefined;
}): string | undefined {
  const authorization = headers.authorization?.trim();
  if (authorization !== undefined && authorization !== '') {
    const match = /^(?:token=|bearer\s+)(\S+)$/i.exec(authorization);
    return match?.[1];
  }
  const cookie = headers.cookie;
  if (cookie === undefined) return undefined;
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'dcos-acs-auth-cookie' && rest.length > 0) return rest.join('=');
  }
  return undefined;
}
