/** `@username` mentions in chat text. Bounded so one message cannot fan out into many notifications. */
import { LIMITS } from '@lo/protocol';

const MAX_MENTIONS = 5;
const MENTION = new RegExp(`(?:^|[^\\w@])@([A-Za-z0-9_.-]{${LIMITS.usernameMin},${LIMITS.usernameMax}})`, 'g');

/** Distinct usernames mentioned in a chat message's JSON data (`{"text": …}`), at most five. */
export function findMentions(dataJson: string): string[] {
  const text = (JSON.parse(dataJson) as { text?: unknown }).text;
  if (typeof text !== 'string' || !text.includes('@')) return [];
  const names = new Map<string, string>();
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!.replace(/[.-]+$/, '');
    if (name.length >= LIMITS.usernameMin) names.set(name.toLowerCase(), name);
    if (names.size === MAX_MENTIONS) break;
  }
  return [...names.values()];
}
