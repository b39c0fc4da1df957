/**
 * The dashboard's languages: English and Brazilian Portuguese, a typed catalog each, no library.
 * The choice is kept in localStorage; the default follows navigator.language (pt* → pt-BR).
 * `t`, `formatNumber`, `formatDateTime`… read the current locale, and the provider remounts the app
 * when it changes so every string and every Intl format follows.
 */
import { createContext, Fragment, type ReactNode, useContext, useEffect, useState } from 'react';
import { en, type MessageKey, type Messages } from './messages.en';
import { ptBR } from './messages.pt-BR';

export type Locale = 'en' | 'pt-BR';
export const LOCALES: { value: Locale; label: string }[] = [
  { value: 'en', label: 'English' },
  { value: 'pt-BR', label: 'Português (Brasil)' },
];
const CATALOGS: Record<Locale, Messages> = { en, 'pt-BR': ptBR };
export const LOCALE_STORAGE = 'kryonix.locale';

function initialLocale(): Locale {
  try {
    const stored = localStorage.getItem(LOCALE_STORAGE);
    if (stored === 'en' || stored === 'pt-BR') return stored;
  } catch {
    // storage unavailable: fall through to the browser's language
  }
  return navigator.language?.toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

let current: Locale = initialLocale();

export function currentLocale(): Locale {
  return current;
}

/** The message for `key` in the current language, `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  const text = CATALOGS[current][key] ?? en[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match));
}

export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(current, options).format(value);
}

export function formatDateTime(value: Date | string | number, options?: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(current, options ?? { dateStyle: 'medium', timeStyle: 'medium' }).format(
    new Date(value),
  );
}

export function formatRelative(value: number, unit: Intl.RelativeTimeFormatUnit): string {
  return new Intl.RelativeTimeFormat(current, { numeric: 'auto' }).format(value, unit);
}

const LocaleContext = createContext<{ locale: Locale; setLocale: (locale: Locale) => void }>({
  locale: current,
  setLocale: () => undefined,
});

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(current);
  current = locale;
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = (next: Locale) => {
    current = next;
    try {
      localStorage.setItem(LOCALE_STORAGE, next);
    } catch {
      // not remembered, still switched
    }
    setLocaleState(next);
  };
  return (
    <LocaleContext.Provider value={{ locale, setLocale }}>
      <Fragment key={locale}>{children}</Fragment>
    </LocaleContext.Provider>
  );
}

export function useLocale() {
  return useContext(LocaleContext);
}

/** The header's language switch: a labelled select. */
export function LanguageSwitch() {
  const { locale, setLocale } = useLocale();
  return (
    <label className="language-switch">
      <span className="sr-only">{t('app.language')}</span>
      <select
        aria-label={t('app.language')}
        value={locale}
        onChange={(event) => setLocale(event.target.value as Locale)}
      >
        {LOCALES.map((item) => (
          <option key={item.value} value={item.value} lang={item.value}>
            {item.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export type { MessageKey };
