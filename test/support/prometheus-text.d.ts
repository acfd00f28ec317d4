// Types for parse-prometheus-text-format (it ships none): the text format read back as
// metric families, each with its samples.
declare module 'parse-prometheus-text-format' {
  interface Sample { value: string; labels?: Record<string, string> }
  interface Family { name: string; help: string; type: string; metrics: Sample[] }
  export default function parsePrometheusTextFormat(text: string): Family[]
}
