// The peer: node `oidc-provider` 9.x configured like our auth server for the cases we
// compare (RS256 JWT access tokens from client_credentials, RFC 7662 introspection, a
// confidential client authenticating with client_secret_basic). In-memory adapter,
// one process: the way the library runs out of the box.
//
// Run by bench/run.sh with NODE_PATH at a temp dir where `npm install oidc-provider@9`
// put the package. PEER_PORT must be set; only 127.0.0.1 is bound.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.PEER_MODULES, 'x.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const port = Number(process.env.PEER_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PEER_PORT must be a port number');
const issuer = `http://127.0.0.1:${port}`;
const OPAQUE_RESOURCE = 'urn:bench:documents-api:opaque';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench-client',
      client_secret: 'bench-client-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'documents:read',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'documents-api',
      client_secret: 'documents-api-bench-secret',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  scopes: ['documents:read'],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:bench:documents-api',
      useGrantedResource: () => true,
      // `oidc-provider` refuses to introspect its JWT access tokens ("Structured JWT
      // Tokens cannot be introspected"), so the introspection case asks for this
      // resource, whose tokens are opaque: the only kind it introspects.
      getResourceServerInfo: (ctx, resourceIndicator) => ({
        scope: 'documents:read',
        audience: 'documents-api',
        accessTokenTTL: 3600,
        ...(resourceIndicator === OPAQUE_RESOURCE
          ? { accessTokenFormat: 'opaque' }
          : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      }),
    },
  },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${issuer}`);
});
