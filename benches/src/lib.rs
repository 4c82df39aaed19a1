//! Benchmarks of patchbay's stages live in this package's `benches/`
//! targets (`cargo bench -p patchbay-benches`); this library holds what
//! they share: a generator of connector specs of any size, and the
//! cheapest HTTP server on loopback.

use std::fmt::Write as _;

/// The shape of a generated spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Roughly how many bytes the spec has (it stops at the first endpoint
    /// past this size).
    pub bytes: usize,
    /// Auth methods every endpoint is enabled for: 1 (a bearer token) or
    /// more (then OAuth 2 client credentials methods as well).
    pub methods: usize,
    /// Whether every endpoint refers to one undeclared name (one PB102
    /// error per endpoint); otherwise the spec lints clean.
    pub one_error_per_endpoint: bool,
}

/// A connector spec (TOML) of about `shape.bytes` bytes: one connector
/// variable per endpoint (every endpoint uses its own and the shared
/// `base_url`), `shape.methods` auth methods, and endpoints with a path
/// variable, query entries, a header, a JSON body and pagination, as real
/// connectors have. Growth is in endpoints and variables together, so a
/// step that is quadratic in either shows.
pub fn generated_spec(shape: Shape) -> String {
    let mut spec = String::with_capacity(shape.bytes + 4096);
    spec.push_str(
        "format = 1\n\n[connector]\nid = \"generated\"\nname = \"Generated\"\nversion = \"1.0.0\"\n\n\
         [variables.base_url]\ntype = \"url\"\nrequired = true\n\n",
    );
    spec.push_str("[auth.token]\ntype = \"bearer\"\n\n");
    for method in 1..shape.methods {
        let _ = write!(
            spec,
            "[auth.cc{method}]\ntype = \"oauth2_client_credentials\"\nuse = [\"base_url\"]\n\
             token_url = \"{{{{ base_url }}}}/oauth/token\"\n\n"
        );
    }
    let mut endpoint = 0;
    while spec.len() < shape.bytes || endpoint == 0 {
        let typo = if shape.one_error_per_endpoint {
            "&typo={{ undeclared }}"
        } else {
            ""
        };
        let _ = write!(
            spec,
            "[variables.field_{endpoint}]\ntype = \"string\"\ndefault = \"value {endpoint}\"\n\
             description = \"A connector-wide setting that endpoint {endpoint} sends.\"\n\n\
             [endpoints.update_record_{endpoint}]\nlabel = \"Update record kind {endpoint}\"\n\
             method = \"POST\"\n\
             url = \"{{{{ base_url }}}}/v1/kind_{endpoint}/{{{{ record_id }}}}?expand=all{typo}\"\n\
             query = {{ field = \"{{{{ field_{endpoint} }}}}\", limit = \"100\" }}\n\
             headers = {{ Accept = \"application/json\", X-Record = \"{{{{ record_id }}}}\" }}\n\
             body = {{ type = \"json\", content = {{ name = \"{{{{ name }}}}\", kind = {endpoint} }} }}\n\
             response = {{ type = \"json\", records = \"/data\" }}\n\
             pagination = {{ type = \"page_number\", param = \"page\", start = 1 }}\n\n\
             [endpoints.update_record_{endpoint}.variables.record_id]\nrequired = true\n\n\
             [endpoints.update_record_{endpoint}.variables.name]\ndescription = \"The record's new name.\"\n\n"
        );
        endpoint += 1;
    }
    spec
}

/// A keep-alive HTTP/1.1 server on loopback that answers every request
/// (GET, no body) with a small JSON body: as cheap as a server can be, so
/// that the clients' cost shows. Returns its base URL.
pub async fn serve() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let mut filled = 0;
                loop {
                    let Ok(read) = socket.read(&mut buffer[filled..]).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    filled += read;
                    // GET requests: a request ends at its blank line.
                    while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                    {
                        let response = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 26\r\n\r\n{\"id\":1,\"name\":\"an order\"}";
                        if socket.write_all(response).await.is_err() {
                            return;
                        }
                        buffer.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_close_to_the_target() {
        for bytes in [10_000, 100_000] {
            let spec = generated_spec(Shape {
                bytes,
                methods: 2,
                one_error_per_endpoint: false,
            });
            assert!((bytes..bytes + 2_000).contains(&spec.len()));
        }
    }
}
