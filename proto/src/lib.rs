//! `rakuten.inference.v1` and the Open Inference Protocol's `inference` (KServe v2): messages, the tonic server
//! traits and clients, and the encoded file descriptor set for gRPC server reflection. The generated code uses [`Codec`]: prost's, except that a request that does not
//! decode is the client's mistake (INVALID_ARGUMENT), not the server's (INTERNAL).

#![allow(clippy::all, rust_2018_idioms)]

use prost::Message;
use tonic::codec::{BufferSettings, DecodeBuf};
use tonic::{Code, Status};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

pub mod inference {
    pub mod v1 {
        tonic::include_proto!("rakuten.inference.v1");

        /// The encoded `FileDescriptorSet` of both packages (for `tonic-reflection`).
        pub const FILE_DESCRIPTOR_SET: &[u8] = crate::FILE_DESCRIPTOR_SET;
    }
}

/// The Open Inference Protocol (KServe v2), package `inference`: `GRPCInferenceService`.
pub mod kserve {
    tonic::include_proto!("inference");
}

/// The encoded `FileDescriptorSet` of `rakuten.inference.v1` and `inference` (for `tonic-reflection`).
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("inference_descriptor");

pub use inference::v1;

/// The message of a request whose string field is not UTF-8 (the REST gateway says the same).
pub const INVALID_UTF8: &str = "request body is not valid UTF-8";

/// [`ProstCodec`] with decoding errors mapped to INVALID_ARGUMENT.
#[derive(Debug, Clone)]
pub struct Codec<T, U>(ProstCodec<T, U>);

impl<T, U> Default for Codec<T, U> {
    fn default() -> Self {
        Codec(ProstCodec::default())
    }
}

impl<T, U> tonic::codec::Codec for Codec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = Decoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        Decoder(self.0.decoder())
    }
}

#[derive(Debug)]
pub struct Decoder<U>(ProstDecoder<U>);

impl<U: Message + Default> tonic::codec::Decoder for Decoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(buf).map_err(|s| match s.code() {
            Code::Internal if s.message().contains("UTF-8") => {
                Status::invalid_argument(INVALID_UTF8)
            }
            Code::Internal => {
                Status::invalid_argument(format!("request is not a valid message: {}", s.message()))
            }
            _ => s,
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
