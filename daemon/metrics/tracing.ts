// Optional OpenTelemetry traces: one span per model request, with the GenAI semantic conventions
// (gen_ai.operation.name, gen_ai.request.model, gen_ai.response.model, gen_ai.usage.*), exported in
// batches over OTLP/HTTP (JSON) to `telemetry.otlp_endpoint`. The span is built from the recorded
// decision row after the request ends, so tracing adds nothing to the request path. The GenAI
// attribute names are written out: they live in semantic-conventions' unstable "incubating" entry.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { LiveEvent } from '../../shared/api';
import type { TelemetryConfig } from '../../shared/config';
import { VERSION } from '../version';

export interface Tracing {
  event(event: LiveEvent): void;
  /** Exports what is buffered (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createTracing(config: TelemetryConfig | undefined): Tracing | undefined {
  if (!config?.otlp_endpoint) return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.service_name ?? 'fugusashi',
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlp_endpoint }), { scheduledDelayMillis: 1000 }),
    ],
  });
  const tracer = provider.getTracer('fugusashi', VERSION);
  return {
    event(event) {
      if (event.type !== 'decision') return;
      const row = event.row;
      const model = row.answered_by ?? row.decision.model;
      const span = tracer.startSpan(`chat ${model}`, {
        kind: SpanKind.CLIENT,
        startTime: row.created_at,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': row.requested_model,
          'gen_ai.response.model': model,
          'gen_ai.response.id': row.request_id,
          'fugusashi.routing.strategy': row.decision.strategy,
          'fugusashi.routing.confidence': row.decision.confidence,
          'fugusashi.cost_usd': row.cost_usd,
          ...(row.usage
            ? {
                'gen_ai.usage.input_tokens': row.usage.prompt_tokens,
                'gen_ai.usage.output_tokens': row.usage.completion_tokens,
              }
            : {}),
        },
      });
      if (row.status === 'error') {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', 'upstream_error');
      }
      span.end(row.created_at + row.latency_ms);
    },
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  };
}
