// The rule for a user's full name: 1 to 200 characters after trimming, stored trimmed. JSON Schema cannot say
// "after trimming" (its maxLength would count the whitespace), so the schema only checks the type and this
// function checks the rest. Characters are Unicode code points, as PostgreSQL's varchar(200) counts them: an
// emoji is one character here even though it is two UTF-16 units in a JavaScript string.
//
// Names are stored exactly as sent, without Unicode normalisation, so combining marks round-trip unchanged.
// Only what PostgreSQL cannot store faithfully is refused: NUL (a text column cannot hold it) and unpaired
// surrogates (invalid UTF-16, which would be stored as U+FFFD and come back different).

const FULL_NAME_MAX_CHARACTERS = 200;

export type FullNameCheck = { ok: true; value: string } | { ok: false; problem: string };

const NUL = '\u0000';
const LONE_SURROGATE = /\p{Surrogate}/u;

export function checkFullName(raw: string): FullNameCheck {
  // String.prototype.trim removes exactly what JavaScript calls white space and line terminators.
  const value = raw.trim();
  if (value === '') return { ok: false, problem: 'must not be empty or only whitespace' };
  const characters = [...value].length; // iterating a string yields code points
  if (characters > FULL_NAME_MAX_CHARACTERS) {
    return {
      ok: false,
      problem: `must be at most ${FULL_NAME_MAX_CHARACTERS} characters after trimming, got ${characters}`,
    };
  }
  if (value.includes(NUL)) return { ok: false, problem: 'must not contain the NUL character (\\u0000)' };
  if (LONE_SURROGATE.test(value)) {
    return { ok: false, problem: 'must be valid Unicode text (it has an unpaired surrogate)' };
  }
  return { ok: true, value };
}
