//! The codec of the generated health client and server: prost's, with
//! buffers sized for health messages rather than tonic's 8 KiB default.
//!
//! Every Watch stream keeps its encode buffer for as long as it is open, so
//! with the default each watcher held (and touched a page of) 8 KiB to send
//! messages of a few bytes. A status is 7 bytes with its gRPC header; the
//! buffer grows as needed for the rare larger message (a List response).

use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::ProstCodec;

/// The initial size of each encode and decode buffer.
const BUFFER_SIZE: usize = 128;
/// When a streaming response's buffered messages are handed to the transport,
/// as tonic's default.
const YIELD_THRESHOLD: usize = 32 * 1024;

/// Prost encoding with small buffers; named by the generated code.
#[derive(Debug)]
pub(crate) struct HealthCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for HealthCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

fn buffer_settings() -> BufferSettings {
    BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD)
}

impl<T, U> Codec for HealthCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = <ProstCodec<T, U> as Codec>::Encoder;
    type Decoder = <ProstCodec<T, U> as Codec>::Decoder;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(buffer_settings())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<T, U>::raw_decoder(buffer_settings())
    }
}
