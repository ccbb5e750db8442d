import { COUNTRY_CODES } from '../../domain/country-codes.ts';

const key = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

// English names from the runtime's CLDR data (Intl.DisplayNames), plus the usual short forms.
const BY_NAME = new Map<string, string>();
const names = new Intl.DisplayNames(['en'], { type: 'region' });
for (const code of COUNTRY_CODES) {
  const name = names.of(code);
  if (name && name !== code) BY_NAME.set(key(name), code);
}
for (const [alias, code] of Object.entries({
  usa: 'US',
  'united states of america': 'US',
  america: 'US',
  uk: 'GB',
  'great britain': 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  'south korea': 'KR',
  korea: 'KR',
  'north korea': 'KP',
  russia: 'RU',
  'czech republic': 'CZ',
  holland: 'NL',
  'the netherlands': 'NL',
  uae: 'AE',
  'ivory coast': 'CI',
  vietnam: 'VN',
  turkey: 'TR',
  'hong kong': 'HK',
  macau: 'MO',
  taiwan: 'TW',
  deutschland: 'DE',
  schweiz: 'CH',
  österreich: 'AT',
  españa: 'ES',
  brasil: 'BR',
  méxico: 'MX',
})) {
  BY_NAME.set(key(alias), code);
}

/** The ISO 3166-1 alpha-2 code of a code (any case) or an English country name (accents and case ignored); null when neither. */
export function countryCodeOf(value: string): string | null {
  const trimmed = value.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed) && COUNTRY_CODES.has(trimmed.toUpperCase())) return trimmed.toUpperCase();
  return BY_NAME.get(key(trimmed)) ?? null;
}
