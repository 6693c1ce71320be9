/**
 * OSS errors: the service's own codes, statuses and messages, rendered as its XML error body.
 */
import { xmlEscape } from './xml.js';

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements after HostId, in order (the real service adds e.g. StringToSign, ArgumentName). */
    readonly extra: [string, string][] = [],
    /** The service's diagnostic code (`<EC>`), when known. */
    readonly ec?: string
  ) {
    super(message);
  }
}

export function errorXml(err: OssError, requestId: string, hostId: string): string {
  const extra = err.extra.map(([k, v]) => `  <${k}>${xmlEscape(v)}</${k}>\n`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n' +
    `  <Code>${xmlEscape(err.code)}</Code>\n  <Message>${xmlEscape(err.message)}</Message>\n` +
    `  <RequestId>${requestId}</RequestId>\n  <HostId>${xmlEscape(hostId)}</HostId>\n` +
    extra +
    (err.ec ? `  <EC>${err.ec}</EC>\n` : '') +
    '</Error>\n'
  );
}

/** Default messages for codes raised by status faults. */
const FAULT_MESSAGES: Record<string, string> = {
  InternalError: 'We encountered an internal error. Please try again.',
  ServiceUnavailable: 'Please reduce your request rate.',
  AccessDenied: 'You have no right to access this object.',
  NoSuchKey: 'The specified key does not exist.',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period.'
};

export function faultError(status: number, code?: string, message?: string): OssError {
  const c =
    code ??
    (status === 503
      ? 'ServiceUnavailable'
      : status >= 500
        ? 'InternalError'
        : status === 404
          ? 'NoSuchKey'
          : status === 403
            ? 'AccessDenied'
            : 'InvalidArgument');
  return new OssError(status, c, message ?? FAULT_MESSAGES[c] ?? `Injected ${c}.`);
}

export const E = {
  noSuchBucket: (bucket: string) =>
    new OssError(
      404,
      'NoSuchBucket',
      'The specified bucket does not exist.',
      [['BucketName', bucket]],
      '0015-00000101'
    ),
  noSuchKey: (key: string) =>
    new OssError(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]], '0026-00000001'),
  noSuchUpload: (uploadId: string) =>
    new OssError(
      404,
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      [['UploadId', uploadId]],
      '0042-00000002'
    ),
  invalidObjectName: (why: string) => new OssError(400, 'InvalidObjectName', why),
  invalidArgument: (message: string, name: string, value: string, ec?: string) =>
    new OssError(
      400,
      'InvalidArgument',
      message,
      [
        ['ArgumentName', name],
        ['ArgumentValue', value]
      ],
      ec
    ),
  invalidDigest: (provided: string) =>
    new OssError(
      400,
      'InvalidDigest',
      'The Content-MD5 you specified was invalid.',
      [['Content-MD5', provided]],
      '0017-00000503'
    ),
  malformedXml: () =>
    new OssError(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.'
    ),
  invalidPart: () =>
    new OssError(
      400,
      'InvalidPart',
      "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag."
    ),
  invalidPartOrder: () =>
    new OssError(
      400,
      'InvalidPartOrder',
      'The list of parts was not in ascending order. The parts list must be specified in order by part number.'
    ),
  entityTooSmall: (partNumber: number, size: number) =>
    new OssError(
      400,
      'EntityTooSmall',
      'Your proposed upload smaller than the minimum allowed size.',
      [
        ['MinSizeAllowed', '102400'],
        ['ProposedSize', String(size)],
        ['PartNumber', String(partNumber)]
      ],
      '0042-00000213'
    ),
  entityTooLarge: () => new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.'),
  accessDenied: (message = 'You have no right to access this object because of bucket acl.') =>
    new OssError(403, 'AccessDenied', message),
  invalidAccessKeyId: (ak: string) =>
    new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', [
      ['OSSAccessKeyId', ak]
    ]),
  securityTokenExpired: (expiration: string) =>
    new OssError(403, 'SecurityTokenExpired', 'The security token you provided has expired.', [
      ['Expiration', expiration]
    ]),
  invalidSecurityToken: () => new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.'),
  timeTooSkewed: (requestTime: string, serverTime: string) =>
    new OssError(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      [
        ['RequestTime', requestTime],
        ['ServerTime', serverTime],
        ['MaxAllowedSkewMilliseconds', '900000']
      ]
    ),
  notImplemented: (what: string) => new OssError(501, 'NotImplemented', `The sandbox OSS does not model ${what}.`)
};
