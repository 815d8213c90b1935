/** The name the escaping members of `HOSTILE_PATHS` lead to: one no file on a machine has by chance. */
export const ESCAPED_NAME = 'syncflow-testkit-escaped'

/**
 * Paths that are not RelPaths: every backend method must reject each with `INVALID_PATH` and
 * create nothing, wherever the path came from (a hostile listing of another backend, a bug).
 * Those that stay inside the root come first and those that lead out of it last, each to
 * `ESCAPED_NAME` (not `etc/passwd`): a backend that lets the first ones through fails before it
 * is given one that leads out, and one given a path out harms no file there. The conformance
 * suite leads the absolute one into a scratch directory of its own (`ScratchDir.contain`).
 */
export const HOSTILE_PATHS: readonly string[] = [
  '',
  '.',
  'a/..',
  './a',
  'a/./b',
  'a//b',
  'a/',
  'a\u0000b',
  'a\nb',
  'a\u007fb',
  '\ud800x',
  '..',
  `../${ESCAPED_NAME}`,
  `../../${ESCAPED_NAME}`,
  `a/../../${ESCAPED_NAME}`,
  `/${ESCAPED_NAME}`,
]

/** Names that sort differently in UTF-16 and UTF-8, or around `/`, with their UTF-8 byte order. */
export const ORDER_NAMES: readonly string[] = [
  'B',
  'a b',
  'a-',
  'a.txt',
  'a/b',
  'a0',
  'b',
  '\u00e9',
  '\uff21',
  '\u{1f600}',
  'z/\uff21',
  'z/\u{1f600}',
]

/**
 * Names a backend must keep byte-exact (no normalization, no escaping visible to the caller).
 * The NFC and NFD forms of "café" are in `NORMALIZATION_PAIR`.
 */
export const ODD_NAMES: readonly string[] = [
  'with space.txt',
  ' leading space',
  'trailing space ',
  'dots...',
  '.hidden',
  '-dash',
  'quote\'s "double"',
  '#hash %percent &amp ?query *star',
  ':colon;semicolon|pipe<lt>gt',
  '+plus=equals,comma@at$dollar!bang~tilde`grave^caret',
  '[brackets]{braces}(parens)',
  'ünïcödé/ñested/fïlé.txt',
  '日本語/ファイル.txt',
  '\u{1d11e} musical clef',
  '\u{1f600}\u{1f680} emoji.txt',
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467} zwj family',
  'rtl \u05e9\u05dc\u05d5\u05dd',
  `long-${'x'.repeat(200)}`,
  // A backslash is an ordinary character, not a separator: these are plain names inside the root.
  'dev-disk-by\\x2duuid.swap',
  '..\\not-up',
]

/** "café" precomposed (NFC) and decomposed (NFD): two different names that look alike. */
export const NORMALIZATION_PAIR: readonly [nfc: string, nfd: string] = ['caf\u00e9', 'cafe\u0301']
