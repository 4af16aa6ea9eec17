/**
 * Bodies that use, delete and peek all refuse with 2004, and the exact
 * `invalid[]` each gets: the `{"ticket"}` body is the same for the three.
 */
export const ticketBodyErrorCases: { name: string; body: unknown; invalid: unknown[] }[] = [
  { name: 'no ticket', body: {}, invalid: [required()] },
  { name: 'ticket null', body: { ticket: null }, invalid: [notString()] },
  { name: 'ticket a number', body: { ticket: 5 }, invalid: [notString()] },
  { name: 'ticket an object', body: { ticket: { a: 1 } }, invalid: [notString()] },
  { name: 'ticket an array', body: { ticket: ['UrX/fTU0TaEEBv1ZlhpImz1c1Ts'] }, invalid: [notString()] },
  { name: 'ticket true', body: { ticket: true }, invalid: [notString()] },
  { name: 'ticket empty', body: { ticket: '' }, invalid: [length()] },
  { name: 'ticket of 201 characters', body: { ticket: 'a'.repeat(201) }, invalid: [length()] },
  { name: 'ticket of 201 non-Base64 characters', body: { ticket: '$'.repeat(201) }, invalid: [length()] },
  { name: 'ticket with a $', body: { ticket: 'UrX/fTU0TaEEBv1Zlh$Imz1c1Ts' }, invalid: [notBase64()] },
  { name: 'ticket with a space', body: { ticket: 'UrX/fTU0TaEE Bv1ZlhImz1c1Ts' }, invalid: [notBase64()] },
  { name: 'ticket in URL-safe Base64', body: { ticket: 'UrX_fTU0TaEEBv1ZlhpImz1c1Ts' }, invalid: [notBase64()] },
  { name: 'ticket with a newline', body: { ticket: 'UrX/fTU0TaEEBv1ZlhpImz1c1Ts\n' }, invalid: [notBase64()] },
  { name: 'ticket with three padding characters', body: { ticket: 'abcd===' }, invalid: [notBase64()] },
  { name: 'ticket with non-ASCII', body: { ticket: 'é' }, invalid: [notBase64()] },
];

function required() {
  return { field: 'ticket', code: 1001, error: 'required', data: null };
}
function notString() {
  return { field: 'ticket', code: 1002, error: 'must be a string', data: null };
}
function length() {
  return { field: 'ticket', code: 1003, error: 'must be between 1 and 200 characters', data: { min: 1, max: 200 } };
}
function notBase64() {
  return { field: 'ticket', code: 101002, error: 'must be a base64 value', data: null };
}
