import pino from 'pino';

/** `user:password@` of a URL: everything up to the authority's last `@` is hidden. */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s]*@(?=[^\s@]*(?:\s|$))/gi;
/** `?password=...` or `&sslpassword=...` in a URL's query. */
const URL_PASSWORD = /([?&](?:password|sslpassword)=)[^&#\s]*/gi;
/** `password=...` (or quoted `password='a b'`) in a key=value connection string. */
const DSN_PASSWORD =
  /((?:^|[\s,;])(?:password|sslpassword)\s*=\s*)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"]\S*)/gi;
/** Credentials that clients put in query strings (`?access_token=...`); the value is hidden in logged URLs. */
const QUERY_SECRET = /([?&](?:access_token|api_key|apikey|api-key|key|token|password|secret)=)[^&#]*/gi;

/** Hides passwords in any form of connection string, wherever they are in `text`. */
export function redactSecrets(text: string): string {
  return text.replace(URL_USERINFO, '$1***@').replace(URL_PASSWORD, '$1***').replace(DSN_PASSWORD, '$1***');
}

/** A request URL with the values of secret query parameters hidden, for the logs. */
export function redactRequestUrl(url: string): string {
  return url.replace(QUERY_SECRET, '$1[redacted]');
}

type SerializedRequest = { url?: unknown; [key: string]: unknown };
type SerializedError = ReturnType<typeof pino.stdSerializers.err>;

/**
 * Serializers for the logger and pino-http: request URLs lose their secret query values, and
 * error messages and stacks lose connection-string passwords (pg puts the URL in some messages).
 */
export const logSerializers = {
  req(req: SerializedRequest): SerializedRequest {
    if (typeof req.url === 'string') req.url = redactRequestUrl(req.url);
    return req;
  },
  err(error: SerializedError): SerializedError {
    if (typeof error.message === 'string') error.message = redactSecrets(error.message);
    if (typeof error.stack === 'string') error.stack = redactSecrets(error.stack);
    return error;
  },
};

/** JSON logs on stderr; the connection string's password and API keys are never logged. */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination(2)): pino.Logger {
  return pino(
    {
      level,
      serializers: {
        err: (error: Error) => logSerializers.err(pino.stdSerializers.err(error)),
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["proxy-authorization"]',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          'databaseUrl',
          'redisUrl',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
