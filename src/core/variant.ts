/**
 * Base of the library's typed variants with options (`OnlineStore`, `OfflineStore`,
 * `BatchSource`, `FeastProjectDir`): a discriminated `spec` whose `kind`
 * narrows `options`, so no consumer casts.
 */
export abstract class OptionsVariant<S extends { readonly kind: string; readonly options: object }> {
  protected constructor(
    /** The kind and its options, narrowed together: switch on `spec.kind` to read `spec.options` typed. */
    public readonly spec: S,
  ) {}

  /** Which variant. */
  public get kind(): S['kind'] {
    return this.spec.kind;
  }

  /** The variant's options (narrow through `spec` to read them typed). */
  public get options(): S['options'] {
    return this.spec.options;
  }
}
