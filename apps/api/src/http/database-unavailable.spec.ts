import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe(isDatabaseUnavailable.name, () => {
  it('should recognise a refused, reset or timed-out connection when the server is away', () => {
    expect(
      isDatabaseUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    const aggregate = new AggregateError([
      withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'),
    ]);
    expect(isDatabaseUnavailable(aggregate)).toBe(true);
  });

  it('should recognise a server shutting down or out of connections inside a query error', () => {
    const shutdown = new QueryFailedError(
      'SELECT 1',
      [],
      withCode('terminating connection', '57P01'),
    );
    expect(isDatabaseUnavailable(shutdown)).toBe(true);
    expect(isDatabaseUnavailable(withCode('sorry, too many clients already', '53300'))).toBe(true);
  });

  it('should not take a failed query for an unavailable database', () => {
    const missing = new QueryFailedError(
      'SELECT 1',
      [],
      withCode('relation "x" does not exist', '42P01'),
    );
    expect(isDatabaseUnavailable(missing)).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});
