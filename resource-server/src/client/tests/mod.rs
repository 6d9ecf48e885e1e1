//! The service client: its token cache on a clock moved by hand (`token_cache`), and
//! the whole client against the fake auth server's token endpoint and protected
//! resource (`service_client`).

mod service_client;
mod token_cache;
