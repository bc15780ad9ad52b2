package dev.gazenerf.datasets.synth;

/**
 * Everything that varies per image of a synthetic subject.
 *
 * @param subject     subject number
 * @param index       image number within the subject
 * @param cameraIndex rig camera (0..17)
 * @param camera      the camera (rig direction plus jitter), at the dataset's image size
 * @param light       the light
 * @param pitch       gaze pitch (head frame, reference convention), radians
 * @param yaw         gaze yaw, radians
 */
public record ImageSpec(int subject, int index, int cameraIndex, Camera camera, Light light, double pitch, double yaw) {
}
