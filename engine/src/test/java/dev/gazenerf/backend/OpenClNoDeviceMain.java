package dev.gazenerf.backend;

/**
 * Child-JVM entry of {@link OpenClBackendTest#withoutADeviceTheErrorSaysHowToInstallOne}: started with an
 * OpenCL ICD directory that lists no driver, it prints what the backend reports without a device, one
 * {@code KEY: value} line each.
 */
public final class OpenClNoDeviceMain {
    private OpenClNoDeviceMain() {
    }

    public static void main(String[] args) {
        System.out.println("REASON: " + OpenClBackend.unavailableReason());
        System.out.println("GPU: " + OpenClBackend.hasGpu());
        System.out.println("DEVICES: " + OpenClBackend.listDevices().size());
        try (OpenClBackend b = new OpenClBackend()) {
            System.out.println("CREATED: " + b.device());
        } catch (RuntimeException e) {
            System.out.println("ERROR: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
