/**
 * The console's certificate decoder (console/src/x509.ts) against Node's X509Certificate on a certificate
 * openssl made: names, validity, serial and SANs read the same.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeCertificate } from '../../console/src/x509.js';
import { selfSignedCertificate } from '../helpers/tls.js';

describe('console: certificate decoding', () => {
  it('reads what Node reads', () => {
    const pem = selfSignedCertificate().cert;
    const node = new X509Certificate(pem);
    const decoded = decodeCertificate(node.raw);
    assert.equal(decoded.subject, 'CN=localhost');
    assert.equal(decoded.issuer, 'CN=localhost');
    assert.equal(decoded.notBefore.getTime(), new Date(node.validFrom).getTime());
    assert.equal(decoded.notAfter.getTime(), new Date(node.validTo).getTime());
    assert.equal(decoded.serial.replace(/^00/, '').toUpperCase(), node.serialNumber.replace(/^00/, ''));
    assert.deepEqual(decoded.sans, [
      { type: 'other', value: '[87]' },
      { type: 'dns', value: 'localhost' },
    ]);
    assert.equal(decoded.oidcIssuer, undefined);
    assert.throws(() => decodeCertificate(node.raw.subarray(0, 40)), /DER: length past the end/);
  });
});
