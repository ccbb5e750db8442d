/**
 * The degree requirement of a job ad, read from its description (or from a stated field). Pure:
 * no database, no I/O. The rules are docs/methodology.md's "Degree requirement from the text";
 * in short:
 *
 * 1. The text (HTML read as text, typographic apostrophes as ASCII) is cut into sentences (line
 *    breaks, bullets, inline "*Required*"/"Preferred:" headings, `.`/`!`/`?`/`;` before a capital)
 *    and the headings before them are remembered ("Preferred qualifications:", "Nice to have",
 *    "What we offer").
 * 2. Look-alikes are removed first: 360-degree, "a (high|certain|...) degree of", degrees of
 *    temperature or angle, first/second/third-degree, high-school diplomas and GEDs, "MS Office".
 * 3. A sentence that speaks of the employer giving degrees (tuition, sponsorship, "we offer",
 *    "earn your degree", a benefits section) is skipped; so are certifications (they are not
 *    degrees).
 * 4. Each remaining degree mention (bachelor's, BS/BA/BSc/BEng/B.Tech, master's, MS/MSc/MBA/MEng,
 *    PhD/doctorate, associate degree, "degree", university/college degree, and the German,
 *    French and Spanish usual words) gets a segment: the sentence, cut at `,`/`;`/" but "/" while "
 *    between two mentions. A segment is, by its own words:
 *    - NEGATED: "no degree required", "not required/necessary/needed/mandatory", "don't need",
 *      "without a degree", "degree optional", "regardless of degree" (unless also preferred);
 *    - PREFERRED: preferred, a plus, desired, desirable, nice to have, ideally, an advantage,
 *      advantageous, bonus, beneficial, welcome, an asset, "would be great" (and the section
 *      "Preferred/Nice to have/Bonus" when it has none of its own);
 *    - REQUIRED_OR_EQUIVALENT: a degree with an alternative: "or equivalent (experience)",
 *      "equivalent combination", "in lieu of", "or N years of experience", "or relevant/
 *      comparable/practical experience", "or certification", "or bootcamp", "or a high school
 *      diploma with experience" (the next sentence saying "equivalent experience" counts too);
 *      "or foreign equivalent degree" is no alternative to a degree;
 *    - REQUIRED otherwise.
 *    A question about a degree answered "No." is NEGATED; an alternative to a degree as such
 *    anywhere in the ad ("in lieu of a degree, ...") turns REQUIRED segments into
 *    REQUIRED_OR_EQUIVALENT (one naming a level, those of that level).
 * 5. The ad's requirement: REQUIRED if some segment is; else REQUIRED_OR_EQUIVALENT; else
 *    PREFERRED; else NOT_MENTIONED. A generic negation ("no degree required") overrides required
 *    segments: the ad is then PREFERRED when some segment prefers a degree, else NOT_MENTIONED.
 *    The level is the lowest level among the winning segments (ASSOCIATE < BACHELOR < MASTER <
 *    DOCTORATE; a degree of no stated level is ANY): "BS/MS/PhD" is BACHELOR, "BS required, MS
 *    preferred" REQUIRED at BACHELOR. The evidence is the sentence of the first winning segment
 *    at that level.
 */

import { descriptionText, looksLikeHtml } from './html-text.ts';

export const EDUCATION_REQUIREMENTS = [
  'REQUIRED',
  'REQUIRED_OR_EQUIVALENT',
  'PREFERRED',
  'NOT_MENTIONED',
  'UNKNOWN',
] as const;
export type EducationRequirement = (typeof EDUCATION_REQUIREMENTS)[number];
export const EDUCATION_LEVELS = ['ASSOCIATE', 'BACHELOR', 'MASTER', 'DOCTORATE', 'ANY'] as const;
export type EducationLevel = (typeof EDUCATION_LEVELS)[number];
export type EducationOrigin = 'STATED' | 'TEXT';

export interface Education {
  requirement: EducationRequirement;
  level: EducationLevel | null;
  evidence: string | null;
  origin: EducationOrigin | null;
}

/** The stored boolean the statistics read: REQUIRED is true, UNKNOWN null, every other label false. */
export function degreeRequiredOf(requirement: EducationRequirement): boolean | null {
  return requirement === 'UNKNOWN' ? null : requirement === 'REQUIRED';
}

const RANK: Record<EducationLevel, number> = { ASSOCIATE: 1, BACHELOR: 2, MASTER: 3, DOCTORATE: 4, ANY: 0 };

/** Degree mentions, most specific first; `i` flag, run on text whose look-alikes are removed. */
const DEGREES: [EducationLevel, RegExp][] = [
  [
    'DOCTORATE',
    /\bph\.?\s?d\b\.?|\bdoctorate\b|\bdoctoral\b|\bd\.?phil\b|\bdoctor of\b|\bdoktor(?:at|titel)?\b|\bpromotion\b(?=.*\b(?:informatik|physik|mathematik|chemie|fach))|\bdoctorat\b|\bdoctorado\b/gi,
  ],
  [
    'MASTER',
    /\bmaster'?s\b|\bmasters\b|\bmaster (?:degree|of|in|or|oder)\b|\bmaster-?abschluss\b|\bm\.?sc\b\.?|\bm\.?eng\b\.?|\bm\.?tech\b\.?|\bmba\b|\bmph\b|\bm\.s\.|\bms(?=\s*(?:degree|in\b|\/|,?\s*or\b|\s+(?:computer|statistics|math|engineering|data|required|preferred|desired|a plus|is a plus)))|(?<=\b(?:bs|ba|b\.s\.|bsc)\s*(?:\/|or|,)\s*)ms\b|\bm\.a\.|\bgraduate degree\b|\bpost-?graduate\b|\badvanced degree\b|\bbac\s?\+\s?5\b|\bdipl[oô]me d'ing[ée]nieur\b|\bm[áa]ster\b|\blaurea magistrale\b/gi,
  ],
  [
    'BACHELOR',
    /\bbachelor'?s?\b|\bbachelor-?abschluss\b|\bb\.?sc\b\.?|\bb\.?eng\b\.?|\bb\.?tech\b\.?|\bb\.s\.|\bb\.a\.|\bbs(?=\s*(?:degree|in\b|\/|,?\s*or\b|\s+(?:computer|statistics|math|engineering|data|required|preferred|desired|a plus|is a plus)))|\bba(?=\s*(?:degree|in\b|\/))|\bb\.e\.|\bundergraduate degree\b|\b(?:4|four)[- ]year (?:college |university )?degree\b|\bbac\s?\+\s?3\b|\blicenciatura\b|\bgrado universitario\b|\blaurea\b|\blicence\b/gi,
  ],
  [
    'ASSOCIATE',
    /\bassociate'?s? (?:degree|of (?:arts|science|applied))\b|\b(?:a\.a\.|a\.s\.|aa|as) degree\b|\b(?:2|two)[- ]year (?:college )?degree\b/gi,
  ],
  [
    'ANY',
    /\bdegree\b|\bdegrees\b|\bhochschulabschluss\b|\bhochschulstudium\b|\buniversit[äa]tsabschluss\b|\bstudienabschluss\b|\babgeschlossene[sn]? (?:\w+ )?studium\b|\bstudium (?:der|im|in)\b|\bdipl[oô]me (?:universitaire|d'[ée]tudes sup[ée]rieures|bac)|\bformation (?:sup[ée]rieure|universitaire)\b|\bt[íi]tulo universitario\b|\btitulaci[óo]n universitaria\b|\bcollege education\b|\buniversity education\b/gi,
  ],
];

/**
 * A cheap test that every degree mention above passes (a superset): sentences without it skip the
 * costlier rules, which keeps a 2,000-character description well under a millisecond.
 */
const MAYBE_DEGREE =
  /degree|bachelor|master|ph\.?\s?d|doct|dphil|doktor|promotion|m\.?sc|m\.?eng|m\.?tech|mba|mph|\bm\.[sa]\.|\bms\b|graduate|bac\s?\+|dipl|m[áa]ster|laurea|b\.?sc|b\.?eng|b\.?tech|\bb\.[sae]\.|\bbs\b|\bba\b|licenciatura|grado universitario|licence|associate|hochschul|universit|studi|abschluss|formation|t[íi]tul|college education/i;

const LOOK_ALIKES =
  /\bto (?:a|some|what|such a|this|that|the same|an?) (?:\w+ )?degree\b(?! in)|\b\d+\s*-?\s*degrees?\b|\b(?:a|an|some|high|higher|great|greater|large|certain|significant|considerable|fair|reasonable|strong|varying|good|minimal|any|the same|each|what|to a|to some|to this|to the)\s+(?:\w+\s+)?degrees? of\b|\bdegrees? of (?:autonomy|freedom|independence|flexibility|latitude|responsibility|confidence|accuracy|precision|uncertainty|discretion|ownership|variation|separation|complexity|difficulty|success|risk|care|skill|professionalism|self|urgency)\b|\bdegrees? (?:celsius|fahrenheit|angle)\b|\b(?:first|second|third|1st|2nd|3rd)[- ]degree\b|\bhigh[- ]school (?:diploma|degree|education|graduate)?|\bged\b|\bsecondary (?:school|education)\b|\bms (?:office|excel|word|sql|teams|azure|dynamics|project|access|powerpoint|outlook|windows|visio|sharepoint)\b|\bmaster (?:data|scheduler|plan|planning|electrician|plumber|craftsman|class|key|node|branch|copy|file|record|service)\b|\bscrum master\b|\bquiz ?master\b|\bpost ?master\b|\bweb ?master\b|\bmaster'?s? (?:level )?certificat/gi;

const OFFERS =
  /\btuition\b|\breimburse|\bsponsor(?:ship|s|ed)?\b|\bscholarships?\b|\bwe(?:'ll| will| can)? (?:offer|provide|support|pay|fund|help|invest|sponsor|finance)\b|\bsupport you (?:in|with|while) (?:completing|earning|obtaining|pursuing|getting)\b|\bwe'll (?:pay|support|help|fund)\b|\bhelp you (?:earn|get|obtain|complete|gain|achieve)\b|\bearn (?:your|a) (?:\w+ )?degree\b|\bdegree apprenticeships?\b|\bfund(?:ing)? (?:your|for your)\b|\bpay for your\b|\bcompany[- ]paid\b|\bstudent loan|\bwir (?:bieten|unterstützen|finanzieren)\b|\bnous (?:offrons|proposons)\b|\bofrecemos\b|\bour (?:team|engineers|scientists|staff|people|founders|employees)\b(?!.*\byou\b)/i;

const NEGATION =
  /\bno\b[^.;,]{0,30}\bdegrees?\b(?! (?:is |are )?(?:a plus|preferred))|\bno (?:formal |college |university |specific |prior )?(?:\w+ )?(?:degrees?|diploma|qualifications?)(?: (?:is |are )?(?:required|needed|necessary))?\b|\bnot (?:\w+ )?(?:required|necessary|needed|mandatory|essential|a (?:requirement|prerequisite|must)|compulsory|obligatory)\b|\b(?:isn't|aren't|is not|are not) (?:required|necessary|needed|mandatory|essential)\b|\b(?:don't|do not|doesn't|does not|won't|will not|needn't) (?:need|require|have to|expect|ask for|care)\b|\bwithout (?:a |an )?(?:\w+ )?degree\b|\bwith or without\b|\bwhether or not\b|\bdegrees? (?:is |are )?(?:optional|not needed|unnecessary)\b|\bregardless of (?:your )?(?:\w+ )?(?:degree|education|background)\b|\bnot necessarily\b|\bkein(?:e|en)? (?:\w+ )?(?:studium|abschluss|hochschulabschluss)\b|\bnicht (?:zwingend |unbedingt )?(?:erforderlich|notwendig|nötig|vorausgesetzt|voraussetzung)\b|\bpas (?:de diplôme|n[ée]cessaire|obligatoire|exig[ée]|requis)\b|\bno (?:es )?(?:necesario|imprescindible|requerido|obligatorio)\b|\bsin (?:t[íi]tulo|necesidad)\b/i;

const PREFERRED =
  /\bprefer(?:red|ably|able|ence)?\b|\b(?:a|is a|big|huge|definite|strong) plus\b|\bplus\b(?!\s+(?:\d|years?))|\bdesired?\b|\bdesirable\b|\bnice[- ]to[- ]have\b|\bideal(?:ly)?\b(?! (?:candidate|applicant|person|fit))|\b(?:we'd|we would|would) love (?:it )?if\b|\b(?:we'd|we would) love (?:you )?to see\b|\b(?:an |is an )?(?:advantage|asset)\b|\badvantageous\b|\bbonus\b|\bbeneficial\b|\b(?:is |are )?welcome[d]?\b|\bwould be (?:great|good|nice|helpful|ideal)\b|\bhelpful\b|\bhighly regarded\b|\bconsidered an? (?:plus|advantage)\b|\bin favou?r\b|\bwünschenswert\b|\bvon vorteil\b|\bidealerweise\b|\bgerne\b|\bsouhait[ée]e?s?\b|\bun plus\b|\bappr[ée]ci[ée]e?s?\b|\bdeseable\b|\bpreferiblemente\b|\bse valorar[áa](?![a-zà-ÿ])|\bvalorable\b/i;

const EQUIVALENT =
  /\bor (?:an? )?(?:equivalent|comparable|similar|relevant|related|practical|professional|demonstrable|demonstrated|proven|commensurate|appropriate|significant|industry|hands-on|work|applicable|on-the-job)(?:[ -][\w-]+){0,3}? (?:experience|background|training|expertise)\b|\bor (?:an? )?(?:equivalent|comparable|similar) (?:qualifications?|education)\b|\bequivalent (?:combination|practical|work|professional|relevant|level of|amount of|years?)\b|\bequivalent experience\b|\bexperience (?:in lieu|instead|equivalent)\b|\bin lieu of\b|\bor (?:\d+|one|two|three|four|five|six|seven|eight|ten)\+? (?:or more |\+ )?years?\b|\band\/or (?:\w+ )?(?:\w+ )?experience\b|\bor (?:a |an )?(?:\w+ )?(?:certifications?|certificates?|bootcamp|apprenticeship|diploma)\b|\bor experience\b|\bor (?:the )?equivalent\b(?! (?:degree|foreign|qualification from))|\boder (?:eine )?(?:vergleichbare|gleichwertige|entsprechende)\b|\boder (?:eine )?(?:[a-zäöüß]+ )?(?:berufsausbildung|ausbildung|berufserfahrung)|\bou (?:[ée]quivalent|exp[ée]rience)\b|\bo (?:equivalente|experiencia)\b|\bself-taught\b/i;

const HIGH_SCHOOL_PATH =
  /\b(?:high[- ]school|ged|secondary school)\b.*\bexperience\b|\bexperience\b.*\b(?:high[- ]school|ged)\b/i;

/**
 * An alternative to a degree as such ("in lieu of a degree, 4 more years of experience"): it
 * applies to every required degree of the ad, wherever the sentence is, unless it names a level
 * ("in lieu of a master's" is an alternative to that one only).
 */
const ALTERNATIVE_TO_ANY_DEGREE =
  /\b(?:in lieu of|instead of|in place of|as a substitute for)\s+(?:a |an |the )?(?:formal |college |university |four-year |4-year )?degree\b|\b(?:experience|years)\s+(?:\w+\s+)?(?:may|can|will)\s+(?:be\s+)?(?:substituted|substitute|accepted|considered)\s+(?:for|in place of|in lieu of)\s+(?:a |the )?(?:formal |college |university )?(?:degree|education)\b/i;

/** The same for one level ("in lieu of a Bachelor's degree"): an alternative to the required degrees of that level. */
const ALTERNATIVE_TO_LEVEL =
  /\b(?:in lieu of|instead of|in place of|as a substitute for)\s+(?:a |an |the )?(bachelor|b\.?s\b|b\.?a\b|b\.?sc\b|master|m\.?s\b|m\.?sc\b|associate|ph\.?\s?d|doctora)/gi;
const LEVEL_WORDS: [RegExp, EducationLevel][] = [
  [/^(?:bachelor|b)/i, 'BACHELOR'],
  [/^(?:master|m)/i, 'MASTER'],
  [/^associate/i, 'ASSOCIATE'],
  [/^(?:ph|doctora)/i, 'DOCTORATE'],
];

/** "Do you need a degree? No." A question about a degree answered no is a negation. */
const QUESTION_ANSWERED_NO = /^(?:no|nope|not at all|not really|absolutely not)\b/i;

const EQUIVALENT_NEXT =
  /\bequivalent (?:\w+ )?experience\b|\bin lieu of (?:a )?degree\b|\bexperience (?:may|can|will) (?:be )?(?:substitute|considered|replace)/i;

const HEADING_PREFERRED =
  /^(?:preferred|desired|bonus|nice|plus|good to have|great to have|extra|additional|it would be|what would make you stand out|what will make you stand out|ideally|wünschenswert|von vorteil|idealerweise|souhait|atouts?|deseable|valorable)|(?:preferred|nice to have|bonus points|a plus|desirable|desired) (?:qualifications|skills|requirements|experience)?:?$/i;
const HEADING_OFFER =
  /^(?:what we offer|we offer|benefits|perks|why (?:join|work)|what you(?:'ll)? get|our offer|wir bieten|was wir bieten|unser angebot|nous offrons|ce que nous offrons|ofrecemos|what's in it for you)/i;
const HEADING_OTHER =
  /^(?:requirements|required|minimum|basic|qualifications|what you (?:need|bring|have)|must have|about you|who you are|your profile|ihr profil|dein profil|profil recherch|requisitos|responsibilities|about (?:us|the role)|the role|what you'll do|your tasks|aufgaben)/i;

type Kind = 'REQUIRED' | 'REQUIRED_OR_EQUIVALENT' | 'PREFERRED' | 'NEGATED';

interface Segment {
  kind: Kind;
  level: EducationLevel;
  sentence: string;
  generic: boolean;
}

interface Sentence {
  text: string;
  section: 'preferred' | 'offer' | null;
}

/** Protects the dots of abbreviations that would otherwise end a sentence (B.S. Computer Science). */
function protectAbbreviations(text: string): string {
  return text
    .replace(/\b([BM])\.\s?(S|A|E|Sc|Eng|Tech)\.(?=\s)/g, '$1$2')
    .replace(/\bPh\.\s?D\.?/gi, 'PhD')
    .replace(/\b(e\.g|i\.e|etc|incl|approx|min|max|yrs|sr|jr|dept|univ|inc|ltd|corp|co|vs|no)\./gi, '$1');
}

const INLINE_HEADING =
  /\s+(?=\*{1,2}(?:Required|Preferred|Desired|Nice to have|Bonus|Minimum|Must have)\b)|\s+(?=(?:Required|Preferred|Desired|Nice to have|Bonus|Must have)(?: qualifications| skills| requirements)?:\s)/g;

function sentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  let section: Sentence['section'] = null;
  // "*Required* BS in Chemistry *Preferred* 2 years of HPLC": an inline heading starts a line of its own.
  const split = protectAbbreviations(text).replace(INLINE_HEADING, '\n');
  const lines = split.split(/\r\n|\r|\n|\u2022|\u25cf|\u25aa|\u2023|\u2043|·|\s\*\s|\s-\s(?=[A-Z])/u);
  for (const raw of lines) {
    const line = raw.replace(/^[\s\-*–—>#]+/u, '').trim();
    if (line === '') continue;
    // A short line that ends with a colon, or is a known heading, starts a section.
    const isHeading =
      line.length <= 80 &&
      (/:$/.test(line) || (line.length <= 60 && (HEADING_PREFERRED.test(line) || HEADING_OFFER.test(line))));
    if (isHeading || (line.length <= 60 && HEADING_OTHER.test(line))) {
      const head = line.replace(/:$/, '');
      section = HEADING_OFFER.test(head) ? 'offer' : HEADING_PREFERRED.test(head) ? 'preferred' : null;
      if (isHeading && !MAYBE_DEGREE.test(line)) continue;
    }
    // Inline headings: "Nice to have: a Master's degree" belongs to its own words.
    for (const piece of line.split(/(?<=[.!?;])\s+(?=[\p{Lu}\d(¿¡])/u)) {
      const p = piece.trim();
      if (p !== '') out.push({ text: p, section });
    }
  }
  return out;
}

interface Mention {
  level: EducationLevel;
  start: number;
  end: number;
}

function mentions(clean: string): Mention[] {
  const found: Mention[] = [];
  for (const [level, re] of DEGREES) {
    for (const m of clean.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue; // inside a more specific mention
      found.push({ level, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

function kindOf(text: string, section: Sentence['section'], next: string | undefined): Kind {
  if (/\?\s*$/.test(text) && next !== undefined && QUESTION_ANSWERED_NO.test(next)) return 'NEGATED';
  const preferred = PREFERRED.test(text);
  if (NEGATION.test(text)) return preferred ? 'PREFERRED' : 'NEGATED';
  if (preferred || section === 'preferred') return 'PREFERRED';
  if (
    EQUIVALENT.test(text) ||
    (next !== undefined && EQUIVALENT_NEXT.test(next) && !/\b(?:degree|bachelor|master)/i.test(next))
  )
    return 'REQUIRED_OR_EQUIVALENT';
  return 'REQUIRED';
}

/** The segments of one sentence: cut at , ; but while between consecutive degree mentions. */
function segmentsOf(sentence: Sentence, next: string | undefined): Segment[] {
  if (!MAYBE_DEGREE.test(sentence.text) || sentence.section === 'offer' || OFFERS.test(sentence.text)) return [];
  const clean = sentence.text.replace(LOOK_ALIKES, (m) => ' '.repeat(m.length));
  const found = mentions(clean);
  if (found.length === 0) return [];
  const cuts: number[] = [0];
  for (let i = 1; i < found.length; i++) {
    const between = clean.slice((found[i - 1] as Mention).end, (found[i] as Mention).start);
    const m = /[,;]|\bbut\b|\bwhile\b|\bwhereas\b|\bideally\b|\bpreferably\b|\baber\b|\bmais\b|\bpero\b/iu.exec(
      between,
    );
    if (m) cuts.push((found[i - 1] as Mention).end + m.index);
    else cuts.push(-1);
  }
  const segments: Segment[] = [];
  let from = 0;
  let group: Mention[] = [];
  const close = (to: number): void => {
    if (group.length === 0) return;
    const text = clean.slice(from, to);
    // The lowest named level; ANY only when no mention names one.
    const specific = group.filter((m) => m.level !== 'ANY');
    const lowest = specific.reduce<EducationLevel>(
      (a, m) => (a === 'ANY' || RANK[m.level] < RANK[a] ? m.level : a),
      'ANY',
    );
    let kind = kindOf(text, sentence.section, next);
    // "High school diploma and 6 years of experience, or a college degree": the school path is an alternative.
    if (kind === 'REQUIRED' && HIGH_SCHOOL_PATH.test(sentence.text)) kind = 'REQUIRED_OR_EQUIVALENT';
    segments.push({ kind, level: lowest, sentence: sentence.text, generic: specific.length === 0 });
  };
  for (let i = 0; i < found.length; i++) {
    const cut = cuts[i] as number;
    if (i > 0 && cut >= 0) {
      close(cut);
      from = cut;
      group = [];
    }
    group.push(found[i] as Mention);
  }
  // Words after the last mention ("..., or equivalent experience") belong to its segment, and
  // words before the first ("Preferred: ...") to the first.
  close(clean.length);
  return segments;
}

const lowestOf = (segments: Segment[]): Segment => {
  let best = segments[0] as Segment;
  for (const s of segments) {
    const a = best.level === 'ANY' ? 99 : RANK[best.level];
    const b = s.level === 'ANY' ? 99 : RANK[s.level];
    if (b < a) best = s;
  }
  return best;
};

const evidenceOf = (sentence: string): string => (sentence.length > 500 ? `${sentence.slice(0, 497)}...` : sentence);

const APOSTROPHES = /[\u2018\u2019\u02bc]/g;

/** The sentence as the ad wrote it, with its own apostrophes (the rules read them as ASCII). */
function asWritten(sentence: string, raw: string): string {
  if (sentence === raw || !/'/.test(sentence)) return sentence;
  const pattern = sentence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "['\u2018\u2019\u02bc]");
  return new RegExp(pattern).exec(raw)?.[0] ?? sentence;
}

/** The requirement read from free text (a description, or a stated educationRequirements text). */
export function educationFromText(raw: string, origin: EducationOrigin = 'TEXT'): Education {
  // Typographic apostrophes ("don’t", "Bachelor’s") read as the rules' ASCII ones.
  const text = raw.replace(APOSTROPHES, "'");
  if (!MAYBE_DEGREE.test(text)) return { requirement: 'NOT_MENTIONED', level: null, evidence: null, origin };
  const all = sentences(text);
  const segments: Segment[] = [];
  for (let i = 0; i < all.length; i++) segments.push(...segmentsOf(all[i] as Sentence, all[i + 1]?.text));
  const generic = all.some((s) => ALTERNATIVE_TO_ANY_DEGREE.test(s.text));
  const levels = new Set(
    all.flatMap((s) =>
      [...s.text.matchAll(ALTERNATIVE_TO_LEVEL)].map((m) => LEVEL_WORDS.find(([re]) => re.test(m[1] as string))?.[1]),
    ),
  );
  for (const s of segments)
    if (s.kind === 'REQUIRED' && (generic || levels.has(s.level))) s.kind = 'REQUIRED_OR_EQUIVALENT';
  const of = (kind: Kind): Segment[] => segments.filter((s) => s.kind === kind);
  const negatedGeneric = of('NEGATED').filter((s) => s.generic);
  const pick = (kind: Exclude<EducationRequirement, 'NOT_MENTIONED' | 'UNKNOWN'>, found: Segment[]): Education => {
    const best = lowestOf(found);
    return { requirement: kind, level: best.level, evidence: evidenceOf(asWritten(best.sentence, raw)), origin };
  };
  if (negatedGeneric.length === 0) {
    if (of('REQUIRED').length > 0) return pick('REQUIRED', of('REQUIRED'));
    if (of('REQUIRED_OR_EQUIVALENT').length > 0) return pick('REQUIRED_OR_EQUIVALENT', of('REQUIRED_OR_EQUIVALENT'));
  }
  if (of('PREFERRED').length > 0) return pick('PREFERRED', of('PREFERRED'));
  const negated = of('NEGATED');
  if (negated.length > 0)
    return {
      requirement: 'NOT_MENTIONED',
      level: null,
      evidence: evidenceOf(asWritten((negated[0] as Segment).sentence, raw)),
      origin,
    };
  return { requirement: 'NOT_MENTIONED', level: null, evidence: null, origin };
}

/**
 * A stated schema.org `educationRequirements` (its text, or an EducationalOccupationalCredential's
 * `credentialCategory` such as "bachelor degree", "postgraduate degree", "high school",
 * "professional certificate"), read with the description's rules: a degree named without
 * qualification is REQUIRED; what names no degree (high school, certificates) is NOT_MENTIONED.
 */
export function educationFromStated(stated: string): Education {
  const fromText = educationFromText(stated, 'STATED');
  return fromText.evidence === null ? { ...fromText, evidence: evidenceOf(stated) } : fromText;
}

/**
 * The posting's education: a stated `degreeRequired` (true: REQUIRED, false: NOT_MENTIONED) or a
 * stated educationRequirements wins over the description; no description and nothing stated is
 * UNKNOWN. With a stated true, the level is read from the description when it names one.
 */
export function educationOf(input: {
  degreeRequired: boolean | null;
  educationRequirements: string | null;
  description: string | null;
}): Education {
  if (input.degreeRequired !== null) {
    if (!input.degreeRequired) return { requirement: 'NOT_MENTIONED', level: null, evidence: null, origin: 'STATED' };
    const text = input.description ? educationFromText(input.description) : null;
    return { requirement: 'REQUIRED', level: text?.level ?? 'ANY', evidence: text?.evidence ?? null, origin: 'STATED' };
  }
  if (input.educationRequirements) return educationFromStated(input.educationRequirements);
  // A CSV's or NDJSON's description may be HTML too (a JobPosting's is read as text already).
  if (input.description)
    return educationFromText(looksLikeHtml(input.description) ? descriptionText(input.description) : input.description);
  return { requirement: 'UNKNOWN', level: null, evidence: null, origin: null };
}
