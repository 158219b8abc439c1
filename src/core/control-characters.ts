// C0 control characters and DEL: they make text unreadable in logs and terminals, and NUL cannot be in a path.
// eslint-disable-next-line no-control-regex -- finding control characters is the point of this pattern
const controlCharacterPattern = /[\u0000-\u001f\u007f]/g;

/** Whether `text` holds a control character (C0 or DEL). */
export function hasControlCharacter(text: string): boolean {
  controlCharacterPattern.lastIndex = 0;
  return controlCharacterPattern.test(text);
}

/** `text` with every control character (C0 or DEL) replaced by `replacement`. */
export function replaceControlCharacters(text: string, replacement: string): string {
  return text.replace(controlCharacterPattern, replacement);
}
