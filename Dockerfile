# Builds dify-producer, dify-worker and dify-double into one small runtime image.
# NOTE: no Docker engine was available where this was written, so this file is untested.
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN apt-get update -qq && bash scripts/setup.sh
COPY . .
RUN swift build -c release --static-swift-stdlib \
    && mkdir -p /out/bin /out/lib \
    && cp "$(swift build -c release --show-bin-path)"/dify-producer \
          "$(swift build -c release --show-bin-path)"/dify-worker \
          "$(swift build -c release --show-bin-path)"/dify-double /out/bin/ \
    && cp -P /usr/local/lib/librdkafka.so* /out/lib/

FROM debian:bookworm-slim
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
       libmicrohttpd12 libsqlite3-0 libpq5 libyaml-0-2 libssl3 libcurl4 zlib1g libzstd1 liblz4-1 \
       libsasl2-2 libjs-chart.js tzdata ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/lib/ /usr/local/lib/
COPY --from=build /out/bin/ /usr/local/bin/
RUN ldconfig
WORKDIR /app
COPY examples/ /app/examples/
ENTRYPOINT ["/usr/local/bin/dify-producer"]
