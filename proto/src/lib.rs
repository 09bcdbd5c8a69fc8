//! `rakuten.inference.v1`: messages, the tonic server trait and client, and the encoded file descriptor set
//! for gRPC server reflection.

#![allow(clippy::all, rust_2018_idioms)]

pub mod inference {
    pub mod v1 {
        tonic::include_proto!("rakuten.inference.v1");

        /// The encoded `FileDescriptorSet` of this package (for `tonic-reflection`).
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("inference_descriptor");
    }
}

pub use inference::v1;
