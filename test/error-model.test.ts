import { InvalidArgumentError, UNKNOWN_ROLE_RULE } from '../src/domain/errors.ts';
import { badUserInput, toGraphQLError } from '../src/graphql/errors.ts';
import { createFormatError } from '../src/graphql/limits/index.ts';
import { answerCodes, ERROR_STATUS, retryStatus } from '../src/http/error-status.ts';
import { TooManyBucketsError, UnknownCurrencyError } from '../src/stats/salary-stats.ts';
import { TooManyPeriodsError } from '../src/stats/trend.ts';
import { GraphQLError } from 'graphql';

describe('the error model', () => {
  it('maps a domain error to BAD_USER_INPUT naming the argument, the value and the rule, as badUserInput does', () => {
    const mapped = toGraphQLError(
      new InvalidArgumentError('roles', ['x'], 'has no role with slug "x"', UNKNOWN_ROLE_RULE),
    );
    expect(mapped.message).toBe('Argument "roles" has invalid value ["x"]: has no role with slug "x".');
    expect(mapped.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'roles', rule: 'unknownRole' });
    expect(badUserInput('first', 0, 'must be between 1 and 100').extensions).toEqual({
      code: 'BAD_USER_INPUT',
      argumentName: 'first',
    });
  });

  it.each([
    [
      'a currency without a rate',
      new UnknownCurrencyError('XYZ'),
      'currency',
      'unknownCurrency',
      'Argument "currency" has invalid value "XYZ": must be a currency of the exchange-rate table (or USD).',
    ],
    [
      'a trend of too many periods',
      new TooManyPeriodsError('MONTH', 700),
      'interval',
      'tooManyPeriods',
      'Argument "interval" has invalid value "MONTH": the range spans 700 periods; at most 600.',
    ],
    [
      'too many buckets',
      new TooManyBucketsError(1, 5000),
      'bucketWidth',
      'tooManyBuckets',
      'Argument "bucketWidth" has invalid value 1: bucketWidth 1 needs 5000 buckets to cover min..max; at most 1000.',
    ],
  ])(
    'formats %s thrown below the resolvers in formatError, the one place',
    (_what, error, argumentName, rule, message) => {
      // As Apollo hands it over: the resolver's error wrapped in a GraphQLError with a path.
      const wrapped = new GraphQLError(error.message, { path: ['role', 'stats'], originalError: error });
      const formatted = createFormatError({ production: true })(
        { message: wrapped.message, path: ['role', 'stats'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        wrapped,
      );
      expect(formatted).toEqual({
        message,
        path: ['role', 'stats'],
        extensions: { code: 'BAD_USER_INPUT', argumentName, rule },
      });
    },
  );

  it('answers the database troubles with 503 and the longest Retry-After, from one table', () => {
    expect(retryStatus(['BAD_USER_INPUT'])).toBeNull();
    expect(retryStatus(['TIMEOUT'])).toEqual({ status: 503, retryAfter: 2 });
    expect(retryStatus(['OVERLOADED', 'SERVICE_UNAVAILABLE'])).toEqual({ status: 503, retryAfter: 5 });
    expect(ERROR_STATUS.UNAUTHENTICATED?.status).toBe(401);
    const batch = JSON.stringify([{ data: {} }, { errors: [{ message: 'm', extensions: { code: 'TIMEOUT' } }] }]);
    expect(answerCodes(batch)).toEqual(['TIMEOUT']);
    expect(answerCodes('{"data":{"x":1}}')).toEqual([]);
  });
});
