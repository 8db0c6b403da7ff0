// The media core's public surface (audio): what the SIP/RTP layer and the focus use. Hand-picked.
export { ConferenceMixer, MixerError, MixerErrorCode, type ConferenceMixerOptions, type MixedFrame, type MixerReceiveResult, type ParticipantOptions, type TalkDetectionOptions } from "./mixer.ts";
export { JitterBuffer, ENERGY_SHIFT, FRAME_MS, FRAME_SAMPLES, type JitterBufferOptions, type JitterBufferStats, type JitterPushResult } from "./jitter-buffer.ts";
export { FrameClock, type ClockTimers, type FrameClockOptions, type FrameClockStats, type FrameTick } from "./clock.ts";
export {
  decodeAlaw,
  decodeG711,
  decodeUlaw,
  encodeAlaw,
  encodeG711,
  encodeUlaw,
  g711CodecOf,
  g711PayloadType,
  g711Silence,
  linearToAlaw,
  linearToUlaw,
  alawToLinear,
  ulawToLinear,
  PCMA_PAYLOAD_TYPE,
  PCMU_PAYLOAD_TYPE,
  type G711Codec,
} from "./g711.ts";
export {
  DEFAULT_TELEPHONE_EVENT_PAYLOAD_TYPE,
  DTMF_DIGITS,
  DtmfReceiver,
  TelephoneEventErrorCode,
  TelephoneEventParseError,
  dtmfDigitOf,
  dtmfEventCode,
  encodeTelephoneEvent,
  parseTelephoneEvent,
  telephoneEventTrain,
  type DtmfDigit,
  type DtmfDigitEvent,
  type TelephoneEvent,
  type TelephoneEventPacket,
  type TelephoneEventTrainOptions,
} from "./dtmf.ts";
export { dominantFrequency, goertzelPower, tonePowers, type DominantOptions, type GoertzelOptions } from "./goertzel.ts";
export { ToneGenerator, dtmfFrequencies, generateDtmf, generateTone, type ToneOptions } from "./tone.ts";
export { CuePlayer, LOBBY_HOLD, PIN_PROMPT, PIN_WRONG, type Cue, type CueSegment } from "./cues.ts";
