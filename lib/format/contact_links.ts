// Links for a lead's contact details: mailto: and tel: only for values that are really an
// address or a number, so text anyone typed into a form can never become a harmful link.

const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/**
 * A `mailto:` link for `email` when it is one plain address (`local@domain.tld`), else null: show
 * the text without a link then. The address comes from a form anyone can fill in, so
 * `a@b?cc=evil@x` must never become a link that adds recipients or headers; characters a mail URL
 * reads as syntax (`?`, `#`, `&`, `=`, `%`, `/`) are escaped in the local part.
 */
export function mailtoHref(email: string | null | undefined): string | null {
  if (!email || email.length > 254) return null;
  const at = email.lastIndexOf("@");
  if (at <= 0) return null;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !EMAIL_LOCAL.test(local) || !EMAIL_DOMAIN.test(domain)) return null;
  const escaped = local.replace(
    /[^A-Za-z0-9.!$'*+_~-]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return `mailto:${escaped}@${domain}`;
}

/**
 * A `tel:` link for `phone` when it is a phone number (digits with spaces, dots, dashes, slashes or
 * brackets, an optional leading +, 3 to 15 digits as E.164 allows), else null: show the text alone.
 */
export function telHref(phone: string | null | undefined): string | null {
  if (!phone || phone.length > 40) return null;
  const trimmed = phone.trim();
  if (!/^\+?[\d\s().\/-]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, "");
  if (digits.length < 3 || digits.length > 15) return null;
  return `tel:${trimmed.startsWith("+") ? "+" : ""}${digits}`;
}
