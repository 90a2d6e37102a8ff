// The sidecar's view of the shared listen grammar (spec/listen.ts): one parser, one message.
export {
  parseListen,
  listenProblem,
  ListenError,
  type ListenAddress,
  type ParseListenOptions,
} from '../spec/listen.js';
