// Built-in hostile ranges: hosting networks that SIP operators block wholesale. Named lists, on by
// default, switched off with `ranges.<name>: false`.
export interface RangeList {
  name: string;
  description: string;
  /** 'all' drops every protocol; 'udp' only UDP (where the scanning comes from). */
  proto: 'all' | 'udp';
  prefixes: string[];
}

export const BUILTIN_RANGES: readonly RangeList[] = [
  {
    name: 'ponytelecom',
    description: 'Ponytelecom / Online S.A.S. hosting, a long-running source of SIP scans',
    proto: 'all',
    prefixes: [
      '62.210.0.0/16', '195.154.0.0/16', '212.129.0.0/18', '62.4.0.0/19', '212.83.128.0/19',
      '212.83.160.0/19', '212.47.224.0/19', '163.172.0.0/16', '51.15.0.0/16', '151.115.0.0/16',
    ],
  },
  {
    name: 'vitox',
    description: 'Vitox Telecom ranges seen flooding SIP over UDP',
    proto: 'udp',
    prefixes: [
      '77.247.109.0/24', '77.247.110.0/24', '185.53.88.0/24', '185.53.89.0/24', '37.49.224.0/24',
      '37.49.230.0/24', '37.49.231.0/24',
    ],
  },
];
