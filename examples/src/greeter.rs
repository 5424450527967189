//! `helloworld.Greeter`: the application service the examples serve next to health.

use tonic::{Request, Response, Status};

pub use crate::generated::helloworld::greeter_client::GreeterClient;
pub use crate::generated::helloworld::greeter_server::{Greeter, GreeterServer, SERVICE_NAME};
pub use crate::generated::helloworld::{HelloReply, HelloRequest};

/// Greets whoever asks.
#[derive(Debug, Default, Clone, Copy)]
pub struct HelloGreeter;

#[tonic::async_trait]
impl Greeter for HelloGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let message = format!("Hello, {}!", request.into_inner().name);
        Ok(Response::new(HelloReply { message }))
    }
}
