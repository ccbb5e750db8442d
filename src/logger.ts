import pino from 'pino';

/** JSON logs on stderr; the connection string's password and API keys are never logged. */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination(2)): pino.Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["proxy-authorization"]',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          'databaseUrl',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
