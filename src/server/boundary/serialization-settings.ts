import { Feature } from "seroval";
import {
  AbortSignalPlugin,
  CustomEventPlugin,
  DOMExceptionPlugin,
  EventPlugin,
  FormDataPlugin,
  HeadersPlugin,
  ReadableStreamPlugin,
  RequestPlugin,
  ResponsePlugin,
  URLPlugin,
  URLSearchParamsPlugin,
} from "seroval-plugins/web";

/**
 * SolidStart's serializer settings (runtime/serialization.js in @solidjs/start 1.3.2): the request
 * guard checks a body with exactly the decoder SolidStart runs after it, so what passes there
 * decodes here; the tests encode and decode server-function bodies with them as its client does.
 */
export const SEROVAL_OPTIONS = {
  plugins: [
    AbortSignalPlugin,
    CustomEventPlugin,
    DOMExceptionPlugin,
    EventPlugin,
    FormDataPlugin,
    HeadersPlugin,
    ReadableStreamPlugin,
    RequestPlugin,
    ResponsePlugin,
    URLSearchParamsPlugin,
    URLPlugin,
  ],
  disabledFeatures: Feature.RegExp,
};
