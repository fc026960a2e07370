import { describe, expect, it } from 'vitest';
import { ipv4 } from '../../probes/socket-fds';

describe('socket fd accounting (issue 5)', () => {
  it('reads /proc/net IPv4 addresses', () => {
    expect(ipv4('0100007F:1F90')).toBe('127.0.0.1:8080');
    expect(ipv4('00000000:0000')).toBe('0.0.0.0:0');
    expect(ipv4('garbage')).toBe('');
  });
});
